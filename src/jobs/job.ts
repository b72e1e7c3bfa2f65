import type { CompiledSpec } from "../compile/compile.js";
import { log } from "../core/log.js";
import type { SourceRecord } from "../core/source-record.js";
import { Executor, type ExecutorOptions } from "../run/executor.js";
import { Pieces } from "../run/prepare.js";
import type { MysqlSink } from "../sink/mysql-sink.js";
import { ensureSchema } from "./database.js";
import { checkVersions, type TableState, waitForSwaps } from "./versions.js";

/**
 * What every job (run, replay, rebuild, retry) shares: the stop a signal asks for, the executor with
 * its retries reported, the start-up sequence, and records applied in bounded pieces.
 */

/** SIGINT and SIGTERM abort the signal until disposed (a job stops between batches, nothing half-written). */
export interface Stopping {
  readonly signal: AbortSignal;
  /** Stops as a signal would (onStop is told the reason). */
  stop(reason: string): void;
  /** Removes the signal handlers. */
  dispose(): void;
}

/** `onStop` runs once the signal is aborted, on the first stop only (a second changes nothing). */
export function stopOnSignals(
  onStop?: (reason: string) => void,
  controller = new AbortController(),
): Stopping {
  let stopped = false;
  const stop = (reason: string) => {
    controller.abort();
    if (!stopped) onStop?.(reason);
    stopped = true;
  };
  const onInt = () => stop("SIGINT");
  const onTerm = () => stop("SIGTERM");
  process.once("SIGINT", onInt);
  process.once("SIGTERM", onTerm);
  return {
    signal: controller.signal,
    stop,
    dispose() {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    },
  };
}

/**
 * The executor of a job. `what` names what MySQL cannot take in the warning of each retry (the batch,
 * the rebuild's batch…); `meanwhile` ends the warning (what holds while it retries).
 */
export function jobExecutor(
  compiled: CompiledSpec,
  sink: MysqlSink,
  options: Omit<ExecutorOptions, "onRetry">,
  what: string,
  meanwhile = "",
): Executor {
  return new Executor(compiled, sink, {
    ...options,
    onRetry: (e, attempt, delay) =>
      log.warn(`MySQL cannot take ${what}; retrying${meanwhile}`, {
        attempt,
        delay_ms: delay,
        error: e.message,
      }),
  });
}

/** Applies records in pieces of at most MAX_BATCH_VALUES values of rows (prepare.ts), as the pipeline does. */
export async function applyInPieces(executor: Executor, records: readonly SourceRecord[]): Promise<void> {
  const pieces = new Pieces((r) => executor.prepare(r), records);
  while (!pieces.done) await executor.applyPrepared(pieces.next());
}

/**
 * The start-up sequence of a job that writes the specs' tables: create what is missing, wait while a
 * rebuild swaps any of them in (with a signal: `run` only), then record the versions and refuse to
 * write tables whose rows follow older specs unless `allowDrift`.
 */
export async function startUp(
  sink: MysqlSink,
  compiled: CompiledSpec,
  opts: { command: string; allowDrift?: boolean; swaps?: AbortSignal },
): Promise<TableState[]> {
  await ensureSchema(sink, compiled);
  if (opts.swaps)
    await waitForSwaps(
      sink,
      compiled.tables.map((t) => t.name),
      opts.swaps,
    );
  return await checkVersions(sink, compiled.spec, {
    allowDrift: opts.allowDrift ?? false,
    command: opts.command,
  });
}
