import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
} from "node:fs";
import { join, relative } from "node:path";
import { createInterface } from "node:readline";
import { type Envelope, generateEvents } from "../../../tools/generate/social-commerce.js";
import { writeJsonl } from "../../../tools/generate/write-jsonl.js";
import { info } from "./log.js";
import { OUT, ROOT } from "./paths.js";

/**
 * The generated stream of `count` events (seed `seed`, the Social Commerce mix) as a JSONL file,
 * cached in bench/out/stream-<count>-<seed>.jsonl: generated once (into a temporary file, renamed
 * when complete), reused by later runs.
 */
export async function ensureStream(count: number, seed: number): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `stream-${count}-${seed}.jsonl`);
  if (existsSync(file)) return file;
  info(`generating ${count} events (seed ${seed}) → ${relative(ROOT, file)}`);
  const tmp = `${file}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  const written = await writeJsonl(generateEvents({ count, seed }), out);
  await new Promise<void>((res, rej) => {
    out.on("error", rej);
    out.end(res);
  });
  if (written !== count) throw new Error(`generated ${written} of ${count} events`);
  renameSync(tmp, file);
  return file;
}

/** The file's non-blank lines (at most `limit`), read at once. */
export function readLines(file: string, limit = Number.POSITIVE_INFINITY): string[] {
  const lines: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    lines.push(line);
    if (lines.length >= limit) break;
  }
  return lines;
}

/** Streams the file's non-blank lines. */
export async function* streamLines(file: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of rl) if (line.trim() !== "") yield line;
  } finally {
    rl.close();
  }
}

/** Up to `limit` lines of the stream, parsed as envelopes (for re-wrapping). */
export async function readEnvelopes(file: string, limit: number): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for await (const line of streamLines(file)) {
    out.push(JSON.parse(line) as Envelope);
    if (out.length >= limit) break;
  }
  return out;
}
