import { log } from "../../log.js";
import { Executor, ExecutorStopped, type Prepared } from "../../run/executor.js";
import { Stats } from "../../run/stats.js";
import { jsonlBatches } from "../../source/jsonl-source.js";
import { intOption, UserError } from "../errors.js";
import { loadPlan } from "../load-plan.js";
import { ensureSchema, mysqlUrl, openSink } from "../mysql.js";
import { printSummary } from "../summary.js";

export interface ReplayOptions {
  mysqlUrl?: string;
  batchSize: string;
  lingerMs: string;
  deadLetterUnknown?: boolean;
  maxRetries: string;
  /** False with --no-lookahead. */
  lookahead?: boolean;
  json?: boolean;
}

/** `projector replay <file|->`: the runtime of `run`, fed from JSONL instead of Kafka. */
export async function replayCommand(dir: string, input: string, opts: ReplayOptions): Promise<number> {
  const plan = loadPlan(dir);
  const batchSize = intOption("--batch-size", opts.batchSize, 1);
  const lingerMs = intOption("--linger-ms", opts.lingerMs, 0);
  const maxRetries = intOption("--max-retries", opts.maxRetries, 0);
  const sink = await openSink(mysqlUrl(opts.mysqlUrl));
  const stats = new Stats();
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const executor = new Executor(plan, sink, {
    stats,
    deadLetterUnknown: opts.deadLetterUnknown ?? false,
    maxRetries,
    lookahead: opts.lookahead !== false,
    signal: controller.signal,
    onRetry: (e, attempt, delay) =>
      log.warn("MySQL unavailable, retrying the batch", { attempt, delay_ms: delay, error: e.message }),
  });
  const tty = process.stderr.isTTY;
  let lastProgress = 0;
  try {
    await ensureSchema(sink, plan);
    // Two-stage pipeline: the next batch is read and mapped while MySQL writes the current one.
    const batches = jsonlBatches(input, { batchSize, lingerMs });
    const first = await batches.next();
    let prepared = first.done ? undefined : executor.prepare(first.value);
    while (prepared && !controller.signal.aborted) {
      const next = await batches.next();
      let nextPrepared: Prepared[] | undefined;
      // Returned to the executor, which also plans it while MySQL writes the current one.
      const prepareNext = () => {
        if (!next.done) nextPrepared = executor.prepare(next.value);
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
    await batches.return(undefined);
    if (tty) process.stderr.write("\n");
  } catch (e) {
    if (e instanceof ExecutorStopped) throw new UserError(`replay stopped: ${e.message}`, 2);
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new UserError(`cannot read ${input}: no such file`);
    throw e;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await sink.close();
  }
  printSummary(stats, opts.json ?? false);
  return 0;
}
