import type { SourceRecord } from "../core/source-record.js";
import type { Executor } from "./executor.js";
import { Pieces, type Prepared } from "./prepare.js";

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
  afterBatch?: () => void | Promise<void>,
): Promise<{ atEnd: boolean }> {
  let read = source.next();
  let prepared: Prepared[] | undefined;
  // A batch read is prepared in pieces: its events' rows never all in memory at once (prepare.ts).
  let pieces: Pieces | undefined;
  const nextPiece = (): Prepared[] | undefined => (pieces && !pieces.done ? pieces.next() : undefined);
  const prepare = (records: readonly SourceRecord[]) => executor.prepare(records);
  for (;;) {
    if (!prepared) prepared = nextPiece();
    if (!prepared) {
      const r = await unlessAborted(read, signal);
      if (r === "aborted") return { atEnd: false };
      if (r.done) return { atEnd: true };
      // Prepared before the next read starts (its linger timer must not run while this maps).
      pieces = new Pieces(prepare, r.value);
      prepared = nextPiece();
      read = source.next();
      if (!prepared) continue;
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
    await afterBatch?.();
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
