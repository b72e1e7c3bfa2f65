import { log } from "../../core/log.js";
import type { SourceRecord } from "../../core/source-record.js";
import { UserError } from "../../core/user-error.js";
import { ensureSchema, mysqlUrl, openSink } from "../../jobs/database.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { checkVersions } from "../../jobs/versions.js";
import { Executor, ExecutorStopped } from "../../run/executor.js";
import { drain } from "../../run/pipeline.js";
import { Stats } from "../../run/stats.js";
import { batchBytes, jsonlBatches } from "../../source/jsonl.js";
import { bytesOption, intOption } from "../errors.js";
import { printSummary } from "../summary.js";

export interface ReplayOptions {
  mysqlUrl?: string;
  batchSize: string;
  lingerMs: string;
  maxRecordBytes: string;
  deadLetterUnknown?: boolean;
  maxRetries: string;
  /** False with --no-lookahead. */
  lookahead?: boolean;
  json?: boolean;
  /** Write tables whose rows follow older specs (no refusal). */
  allowSpecDrift?: boolean;
}

/** `projector replay <file|->`: the runtime of `run`, fed from JSONL instead of Kafka. */
export async function replayCommand(dir: string, input: string, opts: ReplayOptions): Promise<number> {
  const compiled = loadCompiled(dir);
  const batchSize = intOption("--batch-size", opts.batchSize, 1);
  const lingerMs = intOption("--linger-ms", opts.lingerMs, 0);
  const maxRecordBytes = bytesOption("--max-record-bytes", opts.maxRecordBytes, 1024);
  const maxRetries = intOption("--max-retries", opts.maxRetries, 0);
  const sink = await openSink(mysqlUrl(opts.mysqlUrl));
  const stats = new Stats();
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const executor = new Executor(compiled, sink, {
    stats,
    deadLetterUnknown: opts.deadLetterUnknown ?? false,
    maxRetries,
    lookahead: opts.lookahead !== false,
    signal: controller.signal,
    onRetry: (e, attempt, delay) =>
      log.warn("MySQL cannot take the batch (unavailable, or a table, column or grant missing); retrying", {
        attempt,
        delay_ms: delay,
        error: e.message,
      }),
  });
  const tty = process.stderr.isTTY;
  let lastProgress = 0;
  let batches: AsyncGenerator<SourceRecord[]> | undefined;
  let atEnd = false;
  try {
    await ensureSchema(sink, compiled);
    await checkVersions(sink, compiled.spec, {
      allowDrift: opts.allowSpecDrift ?? false,
      command: "projector replay",
    });
    const source = jsonlBatches(input, {
      batchSize,
      lingerMs,
      maxRecordBytes,
      maxBatchBytes: batchBytes(maxRecordBytes),
    });
    batches = source;
    ({ atEnd } = await drain(executor, source, controller.signal, () => {
      if (tty && performance.now() - lastProgress > 500) {
        lastProgress = performance.now();
        const s = stats.summary();
        process.stderr.write(
          `\r${s.read} read, ${s.applied} applied, ${s.stale} stale, ${s.dead_lettered} dead-lettered — ${s.events_per_second} events/s   `,
        );
      }
    }));
    if (tty) process.stderr.write("\n");
  } catch (e) {
    // A signal stops the replay between batches (or while a batch is retried): nothing half-written.
    if (e instanceof ExecutorStopped && controller.signal.aborted)
      log.info("replay stopped", { reason: e.message });
    else if (e instanceof ExecutorStopped) throw new UserError(`replay stopped: ${e.message}`, 2);
    else if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new UserError(`cannot read ${input}: no such file`);
    else throw e;
  } finally {
    if (batches && !atEnd) {
      // Stopped before the end (a signal, or MySQL given up on): a read may still wait on an idle
      // stdin and would keep the process alive; end it instead of waiting for it.
      if (input === "-") process.stdin.destroy();
      void batches.return(undefined).catch(() => undefined);
    }
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await sink.close();
  }
  stats.serverWarnings = sink.warnings;
  printSummary(stats, opts.json ?? false);
  return 0;
}
