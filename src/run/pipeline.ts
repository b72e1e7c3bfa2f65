import type { SourceRecord } from "../core/source-record.js";
import type { Executor } from "./executor.js";
import type { Prepared } from "./prepare.js";

/**
 * Applies every batch a source yields, in order, as a two-stage pipeline: while MySQL writes one
 * batch, the next is read, mapped and planned (executor.applyPrepared's whileWaiting). A batch
 * never waits for the next one to be read (stdin may stay idle), and the signal ends the wait
 * between batches. Resolves with whether the source was read to its end.
 */
export async function drain(
  executor: Executor,
  source: AsyncIterator<SourceRecord[]>,
  signal: AbortSignal,
  afterBatch?: () => void,
): Promise<{ atEnd: boolean }> {
  let read = source.next();
  let prepared: Prepared[] | undefined;
  for (;;) {
    if (!prepared) {
      const r = await unlessAborted(read, signal);
      if (r === "aborted") return { atEnd: false };
      if (r.done) return { atEnd: true };
      prepared = executor.prepare(r.value);
      read = source.next();
    }
    if (signal.aborted) return { atEnd: false };
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
      if (nextPrepared === undefined && ready !== undefined && !ready.done) {
        nextPrepared = executor.prepare(ready.value);
        ready = undefined;
        read = source.next();
      }
      return nextPrepared;
    };
    await executor.applyPrepared(prepared, prepareNext);
    prepared = nextPrepared;
    afterBatch?.();
  }
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
