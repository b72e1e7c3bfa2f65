import { log } from "../../core/log.js";
import type { SourceRecord } from "../../core/source-record.js";
import { Executor, ExecutorStopped } from "../../run/executor.js";
import { Pieces, type Prepared } from "../../run/prepare.js";
import { Stats } from "../../run/stats.js";
import { jsonlBatches } from "../../source/jsonl.js";
import { batchBytes, bytesOption, intOption, UserError } from "../errors.js";
import { loadCompiled } from "../load-specs.js";
import { ensureSchema, mysqlUrl, openSink } from "../mysql.js";
import { printSummary } from "../summary.js";
import { checkVersions } from "../versions.js";

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
    // Two-stage pipeline: the next batch is read and mapped while MySQL writes the current one. A
    // batch never waits for the next one to be read (stdin may stay idle), and a signal ends the wait.
    const source = jsonlBatches(input, {
      batchSize,
      lingerMs,
      maxRecordBytes,
      maxBatchBytes: batchBytes(maxRecordBytes),
    });
    batches = source;
    let read = source.next();
    let prepared: Prepared[] | undefined;
    // A batch read is prepared in pieces: its events' rows never all in memory at once (prepare.ts).
    let pieces: Pieces | undefined;
    const nextPiece = (): Prepared[] | undefined => (pieces && !pieces.done ? pieces.next() : undefined);
    const prepare = (records: readonly SourceRecord[]) => executor.prepare(records);
    for (;;) {
      if (!prepared) prepared = nextPiece();
      if (!prepared) {
        const r = await unlessAborted(read, controller.signal);
        if (r === "aborted") break;
        if (r.done) {
          atEnd = true;
          break;
        }
        // Prepared before the next read starts (its linger timer must not run while this maps).
        pieces = new Pieces(prepare, r.value);
        prepared = nextPiece();
        read = source.next();
        if (!prepared) continue;
      }
      if (controller.signal.aborted) break;
      let ready: IteratorResult<SourceRecord[]> | undefined;
      const pending = read;
      pending.then(
        (r) => {
          if (read === pending) ready = r;
        },
        () => undefined, // awaited in the next round
      );
      let nextPrepared: Prepared[] | undefined;
      // Called by the executor while MySQL writes this batch: the next one, if read by then, is
      // mapped and planned meanwhile.
      const prepareNext = () => {
        if (nextPrepared !== undefined) return nextPrepared;
        nextPrepared = nextPiece();
        if (nextPrepared === undefined && ready !== undefined && !ready.done) {
          pieces = new Pieces(prepare, ready.value);
          ready = undefined;
          nextPrepared = nextPiece();
          read = source.next();
        }
        return nextPrepared;
      };
      await executor.applyPrepared(prepared, prepareNext);
      prepared = nextPrepared;
      if (tty && performance.now() - lastProgress > 500) {
        lastProgress = performance.now();
        const s = stats.summary();
        process.stderr.write(
          `\r${s.read} read, ${s.applied} applied, ${s.stale} stale, ${s.dead_lettered} dead-lettered — ${s.events_per_second} events/s   `,
        );
      }
    }
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
  printSummary(stats, opts.json ?? false);
  return 0;
}

/**
 * Waits for `p`, or for the signal. The listener goes away with the wait: a promise that never
 * settles would keep every batch raced against it reachable (the whole input, in memory).
 */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | "aborted"> {
  if (signal.aborted) return Promise.resolve("aborted");
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
