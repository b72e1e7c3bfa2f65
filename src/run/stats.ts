import type { CompiledSpec } from "../compile/compile.js";
import type { BatchDecision } from "./decide.js";
import type { Prepared } from "./prepare.js";

/**
 * How the counters name an event type: as the specs do, else "(unknown)" (a type no spec
 * declares) or "(undecodable)" (no type could be read). Label values so come only from the specs:
 * 20,000 made-up types are one series, not 20,000.
 */
export function typeLabel(compiled: CompiledSpec): (eventType: string | undefined) => string {
  return (t) => (t === undefined ? "(undecodable)" : compiled.events.has(t) ? t : "(unknown)");
}

/** Per event type counters. */
export interface TypeCounts {
  applied: number;
  stale: number;
  skipped: number;
  deadLettered: number;
  /** Events their type's `when` did not match: nothing written. */
  filtered: number;
  /** Actions an applied event's `when` left out. */
  filteredActions: number;
  /** Events kept as dead letters of kind "unmatched" (an update found no row yet). */
  unmatchedKept: number;
  /** Actions left out because their row or parent row was not there (`if_missing: skip`). */
  missingSkipped: number;
  /** Counting actions left out because their event was counted already (a redelivery). */
  alreadyCounted: number;
  /** Waiting letters applied whole because their rows arrived (early events that healed). */
  healed: number;
}

/** The outcomes counted per event type, in the order metrics and status show them. */
export const OUTCOMES = [
  "applied",
  "stale",
  "skipped",
  "deadLettered",
  "filtered",
  "filteredActions",
  "unmatchedKept",
  "missingSkipped",
  "alreadyCounted",
  "healed",
] as const;

function zero(): TypeCounts {
  return {
    applied: 0,
    stale: 0,
    skipped: 0,
    deadLettered: 0,
    filtered: 0,
    filteredActions: 0,
    unmatchedKept: 0,
    missingSkipped: 0,
    alreadyCounted: 0,
    healed: 0,
  };
}

/**
 * What a batch did, per event type (as `label` names it): its records by outcome. Computed before
 * the commit, so the counters can be saved in the batch's transaction (projector_counters).
 */
export function batchOutcomes(
  prepared: readonly Prepared[],
  letters: readonly Prepared[],
  decision: BatchDecision,
  label: (eventType: string | undefined) => string,
): Map<string, TypeCounts> {
  const out = new Map<string, TypeCounts>();
  const of = (t: string | undefined) => {
    const name = label(t);
    let c = out.get(name);
    if (!c) {
      c = zero();
      out.set(name, c);
    }
    return c;
  };
  for (const p of prepared) {
    if (p.kind === "skip") of(p.eventType).skipped++;
    else if (p.kind === "dead") of(p.eventType).deadLettered++;
    else if (p.kind === "filtered") of(p.eventType).filtered++;
  }
  decision.order.forEach((ev, i) => {
    const r = decision.results[i]!;
    const c = of(ev.eventType);
    if (decision.healed?.[i]) {
      // A letter applied again: healed when nothing of it waits any more (counted once it was kept).
      if (r.rejected) c.deadLettered++;
      else if (!r.keep) c.healed++;
      if (!r.rejected && r.alreadyCounted) c.alreadyCounted += r.alreadyCounted;
      return;
    }
    if (r.rejected) c.deadLettered++;
    else if (r.stale.length > 0) c.stale++;
    else c.applied++;
    if (!r.rejected && r.keep) c.unmatchedKept++;
    if (!r.rejected && r.skippedMissing) c.missingSkipped += r.skippedMissing;
    if (!r.rejected && r.alreadyCounted) c.alreadyCounted += r.alreadyCounted;
    const p = ev.index < prepared.length ? prepared[ev.index] : letters[ev.index - prepared.length];
    if (p?.kind === "event" && p.filteredActions > 0) c.filteredActions += p.filteredActions;
  });
  return out;
}

/**
 * Upper bounds (ms) of the event-to-commit histogram buckets. A scraper can subtract two scrapes and
 * get the latency distribution of the window between them (Prometheus `histogram_quantile`).
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100, 125, 150, 200, 250, 300, 400, 500, 600, 750, 1000, 1500,
  2000, 3000, 5000, 10000, 30000, 60000,
];

/** Upper bounds (ms) of the batch-duration buckets: 5 ms to 60 s, as the latency's (a batch is part of it). */
export const BATCH_DURATION_BUCKETS_MS: readonly number[] = LATENCY_BUCKETS_MS.filter((b) => b >= 5);

/** Upper bounds (events) of the batch-size buckets: 1 to 10,000 (`--batch-size` defaults to 1000 and 2000). */
export const BATCH_SIZE_BUCKETS: readonly number[] = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000,
];

/**
 * Counts of values per bucket (a Prometheus histogram's data, kept without any library): cheap
 * enough to add to per event. `counts[i]` holds the values above `bounds[i - 1]` up to `bounds[i]`
 * (bounds inclusive), the last one those above every bound.
 */
export class Buckets {
  readonly counts: number[];
  count = 0;
  sum = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array(bounds.length + 1).fill(0);
  }

  add(v: number): void {
    const bounds = this.bounds;
    let b = 0;
    while (b < bounds.length && v > bounds[b]!) b++;
    this.counts[b]!++;
    this.count++;
    this.sum += v;
  }
}

/** What a run did: the summary of `replay`, the counters behind `/metrics`. */
export class Stats {
  read = 0;
  applied = 0;
  stale = 0;
  skipped = 0;
  deadLettered = 0;
  filtered = 0;
  filteredActions = 0;
  /** Updates/deletes/replaces that found no row to act on. */
  unmatched = 0;
  /** Events kept as dead letters of kind "unmatched". */
  unmatchedKept = 0;
  /** Actions left out because their row or parent row was not there (`if_missing: skip`). */
  missingSkipped = 0;
  /** Counting actions left out because their event was counted already (a redelivery). */
  alreadyCounted = 0;
  /** Waiting letters applied because their rows arrived. */
  healed = 0;
  /** Dead letters a retry applied (and removed). */
  lettersResolved = 0;
  batches = 0;
  /** Batches decided and built while the batch before them was written (see Executor lookahead). */
  plannedAhead = 0;
  /** Batches whose offsets' lock, sent with their statements, found the plan stale: applied again. */
  replanned = 0;
  /** Batches whose offsets' lock went with their statements, in one flight (not in the summary). */
  lockPipelined = 0;
  retries = 0;
  /** The warnings MySQL raised for the writes (the sink's count, as of the last batch). */
  serverWarnings = 0;
  /** A bulk load's secondary indexes, built after its rows (jobs/bulk-load.ts): how many, in how long. */
  indexesBuilt: { built: number; seconds: number } | undefined;
  readonly rowsByTable = new Map<string, number>();
  readonly byEventType = new Map<string, TypeCounts>();
  /** Time (ms) to decide, write and commit each batch. */
  readonly batchMillis = new Buckets(BATCH_DURATION_BUCKETS_MS);
  /** Events of each committed batch. */
  readonly batchEvents = new Buckets(BATCH_SIZE_BUCKETS);
  /** Event-to-commit latencies (ms) of the most recent Kafka records: broker timestamp → commit. */
  readonly commitLatencyMs: number[] = [];
  /** Event-to-commit latencies (ms) of every Kafka record applied. */
  readonly latency = new Buckets(LATENCY_BUCKETS_MS);
  readonly startedAt = performance.now();

  type(eventType: string): TypeCounts {
    let c = this.byEventType.get(eventType);
    if (!c) {
      c = zero();
      this.byEventType.set(eventType, c);
    }
    return c;
  }

  recordBatch(size: number, millis: number): void {
    this.batchEvents.add(size);
    this.batchMillis.add(millis);
  }

  recordLatency(ms: number): void {
    this.latency.add(ms);
    this.commitLatencyMs.push(ms);
    if (this.commitLatencyMs.length > 200_000) this.commitLatencyMs.splice(0, 100_000);
  }

  /** Quantile (0..1) of the recorded event-to-commit latencies, in ms. */
  latencyQuantile(q: number): number | undefined {
    if (this.commitLatencyMs.length === 0) return undefined;
    const sorted = [...this.commitLatencyMs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }

  /** Counts a committed batch: its outcomes per event type (batchOutcomes), its rows per table, its time. */
  countBatch(
    prepared: readonly Prepared[],
    outcomes: ReadonlyMap<string, TypeCounts>,
    decision: BatchDecision,
    millis: number,
  ): void {
    this.batches++;
    this.recordBatch(prepared.length, millis);
    this.read += prepared.length;
    for (const [type, c] of outcomes) {
      const t = this.type(type);
      for (const k of OUTCOMES) t[k] += c[k];
      this.applied += c.applied;
      this.stale += c.stale;
      this.skipped += c.skipped;
      this.deadLettered += c.deadLettered;
      this.filtered += c.filtered;
      this.filteredActions += c.filteredActions;
      this.unmatchedKept += c.unmatchedKept;
      this.missingSkipped += c.missingSkipped;
      this.alreadyCounted += c.alreadyCounted;
      this.healed += c.healed;
    }
    for (const r of decision.results) this.unmatched += r.unmatched.length;
    for (const { op, tombOnly } of decision.ops) {
      if (!tombOnly) this.addRows(op.action.table.name, op.rows ? op.rows.length : 1);
    }
  }

  addRows(table: string, n: number): void {
    this.rowsByTable.set(table, (this.rowsByTable.get(table) ?? 0) + n);
  }

  get rows(): number {
    let n = 0;
    for (const v of this.rowsByTable.values()) n += v;
    return n;
  }

  get seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  summary(): Record<string, unknown> {
    const s = this.seconds;
    return {
      read: this.read,
      applied: this.applied,
      stale: this.stale,
      skipped: this.skipped,
      dead_lettered: this.deadLettered,
      filtered: this.filtered,
      filtered_actions: this.filteredActions,
      unmatched: this.unmatched,
      unmatched_kept: this.unmatchedKept,
      missing_skipped: this.missingSkipped,
      ...(this.alreadyCounted > 0 ? { already_counted: this.alreadyCounted } : {}),
      ...(this.healed > 0 ? { healed: this.healed } : {}),
      ...(this.lettersResolved > 0 ? { letters_resolved: this.lettersResolved } : {}),
      batches: this.batches,
      batches_planned_ahead: this.plannedAhead,
      ...(this.replanned > 0 ? { batches_replanned: this.replanned } : {}),
      retries: this.retries,
      mysql_warnings: this.serverWarnings,
      ...(this.indexesBuilt ? { indexes_built_after_load: this.indexesBuilt } : {}),
      seconds: Number(s.toFixed(3)),
      events_per_second: Math.round(this.read / Math.max(s, 1e-9)),
      rows_per_second: Math.round(this.rows / Math.max(s, 1e-9)),
      max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      ...(this.commitLatencyMs.length
        ? {
            commit_latency_ms: {
              p50: this.latencyQuantile(0.5),
              p99: this.latencyQuantile(0.99),
              count: this.latency.count,
            },
          }
        : {}),
      rows_by_table: Object.fromEntries([...this.rowsByTable].sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }
}
