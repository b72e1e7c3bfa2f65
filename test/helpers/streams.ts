// Input streams: generated JSONL files (cached), the example envelopes, events read back from a file.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXAMPLES, REPO } from "./cli.js";
import { projector } from "./kafka/processes.js";

/**
 * Generated streams are cached across test files and runs (deterministic, so a cached file is the
 * file `generate` would write): keyed by count, seed and a digest of the built generator and of
 * examples.jsonl.
 */
const streams = join(tmpdir(), "projector-test-streams");

function generatorDigest(): string {
  const dir = join(REPO, "dist", "tools", "generate");
  const h = createHash("sha256").update(readFileSync(EXAMPLES));
  if (existsSync(dir))
    for (const f of readdirSync(dir)
      .filter((f) => f.endsWith(".js"))
      .sort())
      h.update(readFileSync(join(dir, f)));
  return h.digest("hex").slice(0, 12);
}

/**
 * A JSONL file: examples.jsonl (when `examples`) followed by `projector generate --count N --seed S`.
 * Deterministic, so `emit` and `replay` of the same file see the same events.
 */
export async function streamFile(count: number, seed: number, examples = true): Promise<string> {
  mkdirSync(streams, { recursive: true });
  const file = join(streams, `${examples ? "ex-" : ""}${count}-${seed}-${generatorDigest()}.jsonl`);
  if (existsSync(file)) return file;
  const parts: string[] = [];
  if (examples) parts.push(readFileSync(EXAMPLES, "utf8").trimEnd(), "\n");
  if (count > 0) {
    const r = await projector(["generate", "--count", String(count), "--seed", String(seed)]);
    if (r.status !== 0) throw new Error(`generate failed: ${r.stderr}`);
    parts.push(r.stdout);
  }
  // Written aside and renamed: test files running in parallel never read half a file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, parts.join(""));
  renameSync(tmp, file);
  return file;
}

/** A parsed event envelope. */
export type Envelope = Record<string, unknown> & { event_type: string; event_id: string; entity_id: string };

/** The envelopes of examples.jsonl, in order. */
export function exampleEnvelopes(): Envelope[] {
  return readFileSync(EXAMPLES, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Envelope);
}

/** A new order.created envelope (the examples' one) with ids of its own, n-th of its kind. */
export function newOrder(n: number, orderNumber = `ORD-K-${n}`): Envelope {
  const e = structuredClone(exampleEnvelopes().find((x) => x.event_type === "order.created")!);
  e.event_id = `00000000-0000-4000-a000-${String(n).padStart(12, "0")}`;
  e.entity_id = `88a1f0000000000000${String(n).padStart(6, "0")}`;
  (e.data as Record<string, unknown>).order_number = orderNumber;
  return e;
}

export interface InputEvent {
  readonly event_type: string;
  readonly event_id: string;
}

export function readEvents(file: string): InputEvent[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as InputEvent);
}
