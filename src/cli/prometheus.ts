import {
  lettersByTypeStatement,
  selectCountersStatement,
  selectRebuildsStatement,
} from "../compile/engine-statements.js";
import type { Statement } from "../compile/statements.js";
import { OUTCOME_NAMES } from "../run/counters.js";
import { LATENCY_BUCKETS_MS, OUTCOMES, type Stats } from "../run/stats.js";

export interface LagSample {
  readonly topic: string;
  readonly partition: number;
  readonly events: number;
  readonly seconds: number;
}

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** What the dead-letter table holds and what retries and purges did, as last read from MySQL. */
export interface LetterSample {
  /** kind, event type → letters now. */
  readonly letters: readonly { kind: string; eventType: string; n: number }[];
  /** event type, outcome → events, of `dead-letters retry` (applied, stale, dead_lettered, …). */
  readonly retried: readonly { eventType: string; outcome: string; n: number }[];
  /** event type → letters purged. */
  readonly purged: readonly { eventType: string; n: number }[];
  /** Rebuilds recorded (projector rebuild): their tables, phase, events applied and how far behind. */
  readonly rebuilds: readonly { tables: string; phase: string; applied: number; behind: number | null }[];
}

/** Prometheus text exposition of the run's counters, batch histogram and lag. */
export function prometheusText(
  stats: Stats,
  lag: readonly LagSample[],
  ready: boolean,
  letters?: LetterSample,
): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  family(
    "projector_events_total",
    "counter",
    "Events by event type and outcome (applied, stale, skipped, dead_lettered, filtered).",
  );
  for (const [type, c] of [...stats.byEventType].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const k of OUTCOMES) {
      if (k === "filteredActions") continue;
      out.push(`projector_events_total{event_type="${esc(type)}",outcome="${OUTCOME_NAMES[k]}"} ${c[k]}`);
    }
  }
  family(
    "projector_actions_filtered_total",
    "counter",
    "Actions left out because the event did not meet their when.",
  );
  for (const [type, c] of [...stats.byEventType].sort(([a], [b]) => (a < b ? -1 : 1)))
    out.push(`projector_actions_filtered_total{event_type="${esc(type)}"} ${c.filteredActions}`);
  family("projector_events_read_total", "counter", "Events read from the source.");
  out.push(`projector_events_read_total ${stats.read}`);
  family("projector_rows_written_total", "counter", "Rows written per table.");
  for (const [t, n] of stats.rowsByTable) out.push(`projector_rows_written_total{table="${esc(t)}"} ${n}`);
  family("projector_batch_retries_total", "counter", "Batches replayed after a transient MySQL error.");
  out.push(`projector_batch_retries_total ${stats.retries}`);
  family("projector_batch_size_events", "summary", "Events per committed batch.");
  out.push(
    `projector_batch_size_events_sum ${stats.batchEventsTotal}`,
    `projector_batch_size_events_count ${stats.batches}`,
  );
  family("projector_batch_duration_seconds", "summary", "Time to decide, write and commit a batch.");
  const sorted = [...stats.batchMillis].sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99]) {
    const v = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1000 : 0;
    out.push(`projector_batch_duration_seconds{quantile="${q}"} ${v}`);
  }
  out.push(
    `projector_batch_duration_seconds_sum ${stats.batchMillisTotal / 1000}`,
    `projector_batch_duration_seconds_count ${stats.batches}`,
  );
  family(
    "projector_event_to_commit_seconds",
    "histogram",
    "From the message's broker timestamp to the commit of its row changes.",
  );
  let cumulative = 0;
  LATENCY_BUCKETS_MS.forEach((bound, i) => {
    cumulative += stats.latencyBuckets[i]!;
    out.push(`projector_event_to_commit_seconds_bucket{le="${bound / 1000}"} ${cumulative}`);
  });
  out.push(
    `projector_event_to_commit_seconds_bucket{le="+Inf"} ${stats.latencyCount}`,
    `projector_event_to_commit_seconds_sum ${stats.latencySumMs / 1000}`,
    `projector_event_to_commit_seconds_count ${stats.latencyCount}`,
  );
  family("projector_lag_events", "gauge", "Events in the partition not yet applied.");
  for (const l of lag)
    out.push(`projector_lag_events{topic="${esc(l.topic)}",partition="${l.partition}"} ${l.events}`);
  family(
    "projector_lag_seconds",
    "gauge",
    "Age of the last applied message while the partition has lag (0 when caught up).",
  );
  for (const l of lag)
    out.push(`projector_lag_seconds{topic="${esc(l.topic)}",partition="${l.partition}"} ${l.seconds}`);
  if (letters) {
    family(
      "projector_dead_letters",
      "gauge",
      "Dead letters now, by kind (failed, unmatched) and event type (read from MySQL every 10 s).",
    );
    for (const l of letters.letters)
      out.push(`projector_dead_letters{kind="${esc(l.kind)}",event_type="${esc(l.eventType)}"} ${l.n}`);
    family(
      "projector_dead_letter_retries_total",
      "counter",
      "Letters that projector dead-letters retry went through, by event type and outcome.",
    );
    for (const r of letters.retried)
      out.push(
        `projector_dead_letter_retries_total{event_type="${esc(r.eventType)}",outcome="${esc(r.outcome)}"} ${r.n}`,
      );
    family(
      "projector_dead_letters_purged_total",
      "counter",
      "Letters deleted by projector dead-letters purge.",
    );
    for (const p of letters.purged)
      out.push(`projector_dead_letters_purged_total{event_type="${esc(p.eventType)}"} ${p.n}`);
    family(
      "projector_rebuild_phase",
      "gauge",
      "1 for the phase each rebuild is in (building, catching up, fenced, swapping, done), by its tables.",
    );
    for (const r of letters.rebuilds)
      out.push(`projector_rebuild_phase{tables="${esc(r.tables)}",phase="${esc(r.phase)}"} 1`);
    family("projector_rebuild_applied_events", "gauge", "Events a rebuild has applied to its shadow tables.");
    for (const r of letters.rebuilds)
      out.push(`projector_rebuild_applied_events{tables="${esc(r.tables)}"} ${r.applied}`);
    family(
      "projector_rebuild_behind_events",
      "gauge",
      "How many events a rebuild's shadow tables are behind the live ones (0 once fenced).",
    );
    for (const r of letters.rebuilds)
      if (r.behind !== null)
        out.push(`projector_rebuild_behind_events{tables="${esc(r.tables)}"} ${r.behind}`);
  }
  family("projector_ready", "gauge", "1 when consuming and writing, 0 while retrying or rebalancing.");
  out.push(`projector_ready ${ready ? 1 : 0}`);
  return `${out.join("\n")}\n`;
}

/** Reads the dead letters' gauges: letters by kind and type, and the retry and purge counters. */
export async function readLetterSample(
  db: { select(statements: readonly Statement[]): Promise<Record<string, unknown>[][]> },
  retryScope: string,
  purgeScope: string,
): Promise<LetterSample> {
  const [letters = [], retried = [], purged = [], rebuilds = []] = await db.select([
    lettersByTypeStatement(),
    selectCountersStatement(retryScope),
    selectCountersStatement(purgeScope),
    selectRebuildsStatement(),
  ]);
  const type = (v: unknown) => (v === null || v === undefined ? "(undecodable)" : String(v));
  return {
    letters: letters.map((r) => ({ kind: String(r.kind), eventType: type(r.event_type), n: Number(r.n) })),
    retried: retried.map((r) => ({
      eventType: type(r.event_type),
      outcome: String(r.outcome),
      n: Number(r.events),
    })),
    purged: purged.map((r) => ({ eventType: type(r.event_type), n: Number(r.events) })),
    rebuilds: rebuilds.map((r) => ({
      tables: (JSON.parse(String(r.tables_json)) as string[]).join(","),
      phase: String(r.phase),
      applied: Number(r.applied),
      behind: r.behind === null ? null : Number(r.behind),
    })),
  };
}
