import { createReadStream } from "node:fs";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import type { SourceRecord } from "../core/source-record.js";

export interface BatchOptions {
  /** Most records per batch. */
  readonly batchSize: number;
  /** Longest wait for more input before a partial batch is handed on (stdin, pipes). */
  readonly lingerMs: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * Streams a JSONL file (or stdin for `-`) as batches of records. Memory stays bounded by the batch
 * size whatever the input size: the next chunk is read only when the consumer asks for more.
 */
export async function* jsonlBatches(input: string, options: BatchOptions): AsyncGenerator<SourceRecord[]> {
  const stream: Readable =
    input === "-" ? process.stdin : createReadStream(input, { highWaterMark: 1 << 20 });
  const source = input === "-" ? "stdin" : basename(input);
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let leftover: Buffer | undefined;
  let line = 0;
  let batch: SourceRecord[] = [];
  let pending: Promise<IteratorResult<Buffer>> | undefined;
  let firstAt = 0;

  const push = (bytes: Buffer) => {
    line++;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    // Blank lines are skipped silently: they carry no event.
    let blank = true;
    for (let i = 0; i < end; i++) {
      const c = bytes[i]!;
      if (c !== 0x20 && c !== 0x09) {
        blank = false;
        break;
      }
    }
    if (blank) return;
    if (batch.length === 0) firstAt = performance.now();
    batch.push({ value: bytes.subarray(0, end), position: `line ${line}`, source });
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
        yield batch;
        batch = [];
        continue;
      }
      pending = undefined;
      if (result.done) break;
      let chunk = result.value;
      if (leftover) {
        chunk = Buffer.concat([leftover, chunk]);
        leftover = undefined;
      }
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(NEWLINE, start);
        if (nl < 0) break;
        push(chunk.subarray(start, nl));
        start = nl + 1;
        if (batch.length >= options.batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (start < chunk.length) leftover = Buffer.from(chunk.subarray(start));
    }
    if (leftover && leftover.length > 0) push(leftover);
    if (batch.length > 0) yield batch;
  } finally {
    if (input !== "-") stream.destroy();
  }
}
