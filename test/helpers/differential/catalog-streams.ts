import fc from "fast-check";
import { generateEvents } from "../../../tools/generate/social-commerce.js";
import type { Line } from "./small-specs.js";

/**
 * Streams over the shipped catalog: the synthetic Social Commerce stream (a prefix of it), then
 * disturbed as deliveries disturb it: events swapped (stale ones, updates before their creates),
 * delivered twice (same event id), lost, given another event's timestamp (same-time events) or an
 * hour older (stale by timestamp).
 */
export interface CatalogStream {
  readonly seed: number;
  readonly count: number;
  readonly edits: readonly Edit[];
}

type Edit =
  | { readonly kind: "swap"; readonly i: number; readonly j: number }
  | { readonly kind: "dup"; readonly i: number; readonly j: number }
  | { readonly kind: "drop"; readonly i: number }
  | { readonly kind: "same-time"; readonly i: number; readonly j: number }
  | { readonly kind: "older"; readonly i: number };

const at = fc.nat({ max: 200 });
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("swap" as const), i: at, j: at }),
  fc.record({ kind: fc.constant("dup" as const), i: at, j: at }),
  fc.record({ kind: fc.constant("drop" as const), i: at }),
  fc.record({ kind: fc.constant("same-time" as const), i: at, j: at }),
  fc.record({ kind: fc.constant("older" as const), i: at }),
);

export const catalogStreamArb = (maxCount = 120): fc.Arbitrary<CatalogStream> =>
  fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    count: fc.integer({ min: 1, max: maxCount }),
    edits: fc.array(editArb, { maxLength: 12 }),
  });

type Event = Record<string, unknown> & { timestamp: string; entity_id: string };

/** The stream's JSONL lines, keyed by entity (as `projector emit` keys them). */
export function catalogLines(s: CatalogStream): Line[] {
  const events: Event[] = [...generateEvents({ count: s.count, seed: s.seed })].map(
    (e) => ({ ...e }) as Event,
  );
  for (const e of s.edits) {
    const n = events.length;
    if (n === 0) break;
    const i = e.i % n;
    switch (e.kind) {
      case "swap": {
        const j = e.j % n;
        [events[i], events[j]] = [events[j]!, events[i]!];
        break;
      }
      case "dup":
        events.splice(e.j % (n + 1), 0, events[i]!);
        break;
      case "drop":
        events.splice(i, 1);
        break;
      case "same-time":
        events[e.j % n] = { ...events[e.j % n]!, timestamp: events[i]!.timestamp };
        break;
      case "older": {
        const t = new Date(Date.parse(events[i]!.timestamp) - 3600_000).toISOString();
        events[i] = { ...events[i]!, timestamp: t };
        break;
      }
    }
  }
  return events.map((e) => ({ text: JSON.stringify(e), key: e.entity_id }));
}
