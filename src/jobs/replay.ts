import { statSync } from "node:fs";
import type { CompiledSpec } from "../compile/compile.js";
import { log } from "../core/log.js";
import type { SourceRecord } from "../core/source-record.js";
import { UserError } from "../core/user-error.js";
import { ExecutorStopped } from "../run/executor.js";
import { drain } from "../run/pipeline.js";
import { Stats } from "../run/stats.js";
import { batchBytes, jsonlBatches } from "../source/jsonl.js";
import { type DeferIndexes, type DeferredIndexes, deferIndexes, isBulkLoad } from "./bulk-load.js";
import { openSink } from "./database.js";
import { jobExecutor, startUp, stopOnSignals } from "./job.js";

export interface ReplayJob {
  readonly mysqlUrl: string;
  /** A JSONL file, or `-` for stdin. */
  readonly input: string;
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly maxRecordBytes: number;
  readonly maxRetries: number;
  readonly deadLetterUnknown: boolean;
  readonly lookahead: boolean;
  readonly allowSpecDrift: boolean;
  /**
   * Build the empty tables' secondary indexes after the load (bulk-load.ts): `auto` when the input
   * is a file of at least BULK_LOAD_BYTES (default auto).
   */
  readonly deferIndexes?: DeferIndexes;
  /** After each batch (progress on a terminal). */
  readonly afterBatch?: (stats: Stats) => void;
}

/** Whether replaying `input` defers the empty tables' indexes under `mode` (stdin: only `always`). */
function bulkLoad(input: string, mode: DeferIndexes): boolean {
  if (input === "-") return mode === "always";
  try {
    return isBulkLoad(mode, { bytes: statSync(input).size });
  } catch {
    return false; // reading it says why
  }
}

/**
 * Replay: the runtime of `run`, fed from JSONL instead of Kafka. A signal stops it between batches;
 * the stats (with the server's warnings) say what it did.
 */
export async function replay(compiled: CompiledSpec, job: ReplayJob): Promise<Stats> {
  const sink = await openSink(job.mysqlUrl);
  const stats = new Stats();
  const stopping = stopOnSignals();
  const executor = jobExecutor(
    compiled,
    sink,
    {
      stats,
      deadLetterUnknown: job.deadLetterUnknown,
      maxRetries: job.maxRetries,
      lookahead: job.lookahead,
      signal: stopping.signal,
    },
    "the batch (unavailable, or a table, column or grant missing)",
  );
  let batches: AsyncGenerator<SourceRecord[]> | undefined;
  let atEnd = false;
  let deferred: DeferredIndexes | undefined;
  try {
    await startUp(sink, compiled, { command: "projector replay", allowDrift: job.allowSpecDrift });
    if (bulkLoad(job.input, job.deferIndexes ?? "auto"))
      deferred = await deferIndexes(
        sink,
        compiled.tables.map((t) => ({ name: t.name, spec: t.spec })),
      );
    const source = jsonlBatches(job.input, {
      batchSize: job.batchSize,
      lingerMs: job.lingerMs,
      maxRecordBytes: job.maxRecordBytes,
      maxBatchBytes: batchBytes(job.maxRecordBytes),
    });
    batches = source;
    ({ atEnd } = await drain(executor, source, stopping.signal, () => job.afterBatch?.(stats)));
  } catch (e) {
    // A signal stops the replay between batches (or while a batch is retried): nothing half-written.
    if (e instanceof ExecutorStopped && stopping.signal.aborted)
      log.info("replay stopped", { reason: e.message });
    else if (e instanceof ExecutorStopped) throw new UserError(`replay stopped: ${e.message}`, 2);
    else if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new UserError(`cannot read ${job.input}: no such file`);
    else throw e;
  } finally {
    if (batches && !atEnd) {
      // Stopped before the end (a signal, or MySQL given up on): a read may still wait on an idle
      // stdin and would keep the process alive; end it instead of waiting for it.
      if (job.input === "-") process.stdin.destroy();
      void batches.return(undefined).catch(() => undefined);
    }
    stopping.dispose();
    // Stopped or not, what was loaded gets its indexes (failing, the next start's migrate adds them).
    if (deferred)
      stats.indexesBuilt = await deferred.build().catch((e: unknown) => {
        log.warn("building the deferred indexes failed: the next run, replay or migrate adds them", {
          error: String(e),
        });
        return undefined;
      });
    await sink.close();
  }
  stats.serverWarnings = sink.warnings;
  return stats;
}
