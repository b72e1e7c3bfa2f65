import type { Envelope } from "./social-commerce.js";

/** Lines are joined into chunks of about this size: one write per chunk instead of one per event. */
const CHUNK_BYTES = 64 * 1024;

/** The reader went away (e.g. `projector generate … | head`): stop quietly, it is not a failure. */
function isBrokenPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED" || code === "ERR_STREAM_WRITE_AFTER_END";
}

/**
 * Write one JSON object per line to `out`, honouring backpressure. Resolves with the number of events
 * written, or, when the reader closes the pipe early, with the number handed to the stream until then.
 * Other stream errors reject.
 */
export async function writeJsonl(events: Iterable<Envelope>, out: NodeJS.WritableStream): Promise<number> {
  let failure: unknown = null;
  let closed = false;
  let wake: (() => void) | null = null;
  const onError = (err: unknown) => {
    if (isBrokenPipe(err)) closed = true;
    else failure ??= err;
    wake?.();
  };
  const onDrainOrClose = () => wake?.();
  out.on("error", onError);
  out.on("drain", onDrainOrClose);
  out.on("close", onDrainOrClose);

  /** Resolve on 'drain', 'close' or 'error', whichever comes first. */
  const settle = () =>
    new Promise<void>((resolve) => {
      wake = () => {
        wake = null;
        resolve();
      };
    });
  const stopped = () => closed || failure !== null;

  /**
   * Write one chunk. When the stream's buffer is full we do not wait right away: the next chunk is
   * built while this one is written, and we wait for 'drain' before writing that next chunk. So at
   * most one chunk is held back, and generation overlaps the I/O instead of idling.
   */
  let backlog: Promise<void> | null = null;
  const flush = async (chunk: string): Promise<void> => {
    if (backlog) await backlog;
    backlog = null;
    if (stopped()) return;
    if (!out.write(chunk) && !stopped()) backlog = settle();
  };

  let count = 0;
  let written = 0;
  let chunk = "";
  try {
    for (const event of events) {
      // String length counts UTF-16 units, not bytes: close enough for sizing a chunk.
      chunk += `${JSON.stringify(event)}\n`;
      count++;
      if (chunk.length >= CHUNK_BYTES) {
        await flush(chunk);
        if (stopped()) break;
        written = count;
        chunk = "";
      }
    }
    if (chunk.length > 0 && !stopped()) {
      await flush(chunk);
      if (!stopped()) written = count;
    }
    if (backlog) await backlog;
    // Wait for the last chunk to leave, so a late EPIPE is seen here and not as an unhandled 'error'.
    // The callback sees the error before the 'error' event does, so record it here already.
    if (!stopped()) {
      await new Promise<void>((resolve) =>
        out.write("", (err) => {
          if (err) onError(err);
          resolve();
        }),
      );
    }
  } finally {
    out.off("drain", onDrainOrClose);
    out.off("close", onDrainOrClose);
    // After a broken pipe keep swallowing errors: the stream may still emit them for buffered data.
    if (!closed) out.off("error", onError);
  }
  if (failure !== null) throw failure;
  return written;
}
