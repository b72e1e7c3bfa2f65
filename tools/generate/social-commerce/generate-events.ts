import { buildActions } from "./action-table.js";
import { bootstrap } from "./bootstrap.js";
import { Chooser } from "./chooser.js";
import { DEFAULT_START } from "./clock.js";
import type { Envelope } from "./envelope.js";
import { World } from "./world.js";

/** What to generate. */
export interface GenerateOptions {
  count: number;
  /** default 1 */
  seed?: number;
  /** ISO-8601, default "2025-01-01T00:00:00Z" */
  start?: string;
}

/**
 * Yields exactly `count` envelopes. Deterministic: the same (count, seed, start) gives the same
 * stream, and a prefix of a longer stream equals the shorter stream.
 */
export function* generateEvents(opts: GenerateOptions): Generator<Envelope> {
  if (Number.isNaN(opts.count) || opts.count < 0)
    throw new RangeError(`count must be >= 0, got ${opts.count}`);
  const count = Math.floor(opts.count); // Infinity: an endless stream (e.g. piped into head)
  const w = new World(opts.seed ?? 1, opts.start ?? DEFAULT_START);
  const actions = buildActions(w);
  const chooser = new Chooser(actions, w.rng);
  let produced = 0;
  // Per event the draws come in this order: the clock tick, the action, then the event id (envelope).
  for (const { type, run } of bootstrap(w, actions)) {
    if (produced >= count) return;
    w.tick();
    const emit = run();
    if (!emit) throw new Error(`bootstrap step ${type} failed`);
    yield w.envelope(type, emit);
    produced++;
  }
  while (produced < count) {
    w.tick();
    const { type, emit } = chooser.next();
    yield w.envelope(type, emit);
    produced++;
  }
}
