import { createReadStream } from "node:fs";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { OVERSIZE_HEAD_BYTES, type SourceRecord } from "../core/source-record.js";

export interface BatchOptions {
  /** Most records per batch. */
  readonly batchSize: number;
  /** Longest wait for more input before a partial batch is handed on (stdin, pipes). */
  readonly lingerMs: number;
  /**
   * Longest line kept whole; a longer one is kept as its first OVERSIZE_HEAD_BYTES and its size
   * (it goes to the dead letters), and reading goes on at the next line.
   */
  readonly maxRecordBytes: number;
  /** A batch is handed on once its lines hold this many bytes, whatever their number. */
  readonly maxBatchBytes: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Streams a JSONL file (or stdin for `-`) as batches of records. Memory stays bounded whatever the
 * input: the next chunk is read only when the consumer asks for more, a batch holds at most
 * `batchSize` lines and about `maxBatchBytes`, and a line longer than `maxRecordBytes` is not
 * kept beyond its head. A line's pieces are joined once, at its end (no copying per chunk).
 */
export async function* jsonlBatches(input: string, options: BatchOptions): AsyncGenerator<SourceRecord[]> {
  const stream: Readable =
    input === "-" ? process.stdin : createReadStream(input, { highWaterMark: 1 << 20 });
  const source = input === "-" ? "stdin" : basename(input);
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let line = 0;
  let batch: SourceRecord[] = [];
  let batchBytes = 0;
  let pending: Promise<IteratorResult<Buffer>> | undefined;
  let firstAt = 0;
  /** The current line so far: its pieces (its head only, once over maxRecordBytes) and its size. */
  let pieces: Buffer[] = [];
  let size = 0;
  let over = false;

  const take = (part: Buffer) => {
    size += part.length;
    if (over) return;
    pieces.push(part);
    if (size <= options.maxRecordBytes) return;
    // Over the limit: from here on only the size counts; the head is copied so that the chunks
    // it came from can be freed.
    over = true;
    pieces = [headOf(pieces, OVERSIZE_HEAD_BYTES)];
  };

  const endLine = () => {
    line++;
    const bytes = size;
    let value = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    pieces = [];
    size = 0;
    if (over) {
      over = false;
      if (batch.length === 0) firstAt = performance.now();
      batch.push({
        value,
        position: `line ${line}`,
        line,
        source,
        oversize: { bytes, limit: options.maxRecordBytes },
      });
      batchBytes += OVERSIZE_HEAD_BYTES;
      return;
    }
    let end = value.length;
    if (end > 0 && value[end - 1] === CR) end--;
    // Blank lines are skipped silently: they carry no event.
    let blank = true;
    for (let i = 0; i < end; i++) {
      const c = value[i]!;
      if (c !== 0x20 && c !== 0x09) {
        blank = false;
        break;
      }
    }
    if (blank) return;
    if (end < value.length) value = value.subarray(0, end);
    if (batch.length === 0) firstAt = performance.now();
    batch.push({ value, position: `line ${line}`, line, source });
    batchBytes += value.length;
  };

  const full = () => batch.length >= options.batchSize || batchBytes >= options.maxBatchBytes;
  const handOn = () => {
    const out = batch;
    batch = [];
    batchBytes = 0;
    return out;
  };

  try {
    for (;;) {
      pending ??= it.next();
      let result: IteratorResult<Buffer> | "linger";
      if (batch.length > 0 && options.lingerMs > 0) {
        const wait = Math.max(0, options.lingerMs - (performance.now() - firstAt));
        let timer: NodeJS.Timeout | undefined;
        result = await Promise.race([
          pending,
          new Promise<"linger">((r) => (timer = setTimeout(() => r("linger"), wait))),
        ]);
        clearTimeout(timer);
      } else {
        result = await pending;
      }
      if (result === "linger") {
        yield handOn();
        continue;
      }
      pending = undefined;
      if (result.done) break;
      const chunk = result.value;
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(NEWLINE, start);
        if (nl < 0) break;
        take(chunk.subarray(start, nl));
        endLine();
        start = nl + 1;
        if (full()) yield handOn();
      }
      // The rest of the chunk starts the next line: copied, so that the chunk itself can be freed.
      if (start < chunk.length) take(start === 0 ? chunk : Buffer.from(chunk.subarray(start)));
    }
    if (size > 0 || pieces.length > 0) endLine();
    if (batch.length > 0) yield handOn();
  } finally {
    if (input !== "-") stream.destroy();
  }
}

/** A copy of the first `n` bytes of the buffers, in order. */
function headOf(buffers: readonly Buffer[], n: number): Buffer {
  const out = Buffer.alloc(
    Math.min(
      n,
      buffers.reduce((k, b) => k + b.length, 0),
    ),
  );
  let at = 0;
  for (const b of buffers) {
    if (at >= out.length) break;
    at += b.copy(out, at, 0, Math.min(b.length, out.length - at));
  }
  return out;
}

/** The bytes a batch read from a file may hold: a batch stays bounded however big its records are. */
export function batchBytes(maxRecordBytes: number): number {
  return Math.max(8 << 20, 2 * maxRecordBytes);
}
