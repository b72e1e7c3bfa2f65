import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from "prom-client";
import type { Statement } from "../compile/statements.js";
import { OUTCOME_NAMES } from "../run/counters.js";
import { type Buckets, OUTCOMES, type Stats } from "../run/stats.js";
import { selectCountersStatement } from "../store/counters.js";
import { lettersByClassStatement } from "../store/letter-classes.js";
import { selectRebuildsStatement } from "../store/rebuilds.js";

export interface LagSample {
  readonly topic: string;
  readonly partition: number;
  readonly events: number;
  readonly seconds: number;
}

/** What the dead-letter table holds and what retries and purges did, as last read from MySQL. */
export interface LetterSample {
  /** kind, event type (as the specs name it, else `(unknown)` or `(undecodable)`), reason class → letters now. */
  readonly letters: readonly { kind: string; eventType: string; reasonClass: string; n: number }[];
  /** event type, outcome → events, of `dead-letters retry` (applied, stale, dead_lettered, …). */
  readonly retried: readonly { eventType: string; outcome: string; n: number }[];
  /** event type → letters purged. */
  readonly purged: readonly { eventType: string; n: number }[];
  /** Rebuilds recorded (projector rebuild): their tables, phase, events applied and how far behind. */
  readonly rebuilds: readonly { tables: string; phase: string; applied: number; behind: number | null }[];
}

/** What `/metrics` reads at each scrape: the run's counters, and gauges kept up to date elsewhere. */
export interface MetricsSources {
  readonly stats: Stats;
  readonly lag: () => readonly LagSample[];
  readonly ready: () => boolean;
  /** Last read from MySQL (every 10 s), undefined before the first read. */
  readonly letters?: () => LetterSample | undefined;
  /** Why the run refused to start (`spec_drift`), if it did. */
  readonly refused?: () => string | undefined;
}

/** The reasons a run refuses to start that `projector_run_refused` names, each always exported. */
export const REFUSAL_REASONS = ["spec_drift"] as const;

/**
 * A histogram whose counts `Buckets` keeps (counted per batch, or per event with no allocation),
 * exported by prom-client like its own: cumulative `_bucket{le}` series, `_sum` and `_count`.
 * `divisor` turns the stored unit into the exported one (1000: ms → s; a division keeps `le` exact).
 */
class BucketsHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: Buckets,
    private readonly divisor = 1,
  ) {}

  async get() {
    const { bounds, counts } = this.buckets;
    const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    let cumulative = 0;
    bounds.forEach((bound, i) => {
      cumulative += counts[i]!;
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { le: bound / this.divisor },
        value: cumulative,
      });
    });
    values.push(
      { metricName: `${this.name}_bucket`, labels: { le: "+Inf" }, value: this.buckets.count },
      { metricName: `${this.name}_sum`, labels: {}, value: this.buckets.sum / this.divisor },
      { metricName: `${this.name}_count`, labels: {}, value: this.buckets.count },
    );
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}

const sortedEntries = <V>(m: ReadonlyMap<string, V>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

/**
 * The registry behind `/metrics`: Node's process and runtime metrics (prom-client's defaults: CPU,
 * memory, event-loop lag, GC, handles) and the run's own families. Nothing here runs per event:
 * the counters are the Stats a batch updates once, read at each scrape. Every label value comes
 * from a bounded set (event types as the specs name them, tables, topics and partitions, outcomes,
 * kinds and reason classes, rebuilds).
 */
export function createMetrics(src: MetricsSources, opts: { processMetrics?: boolean } = {}): Registry {
  const registers = [new Registry()];
  const [registry] = registers as [Registry];
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const { stats } = src;
  // Per event type, outcomes counted apart from the events (actions left out, letters healed).
  const byType: [
    name: string,
    help: string,
    outcome: "filteredActions" | "alreadyCounted" | "healed" | "missingSkipped",
  ][] = [
    [
      "projector_actions_filtered_total",
      "Actions left out because the event did not meet their when.",
      "filteredActions",
    ],
    [
      "projector_actions_already_counted_total",
      "Counting actions (combine: add/subtract) left out because their event was counted already: a redelivery.",
      "alreadyCounted",
    ],
    [
      "projector_letters_healed_total",
      "Waiting letters (unmatched) applied because the row they waited on arrived: early events that healed.",
      "healed",
    ],
    [
      "projector_actions_missing_skipped_total",
      "Actions left out because their row or parent row was not there (if_missing: skip).",
      "missingSkipped",
    ],
  ];
  new Counter({
    name: "projector_events_total",
    help: "Events by event type and outcome (applied, stale, skipped, dead_lettered, filtered, unmatched_kept).",
    labelNames: ["event_type", "outcome"],
    registers,
    collect() {
      this.reset();
      for (const [type, c] of sortedEntries(stats.byEventType))
        for (const k of OUTCOMES)
          if (!byType.some(([, , outcome]) => outcome === k))
            this.inc({ event_type: type, outcome: OUTCOME_NAMES[k] }, c[k]);
    },
  });
  for (const [name, help, outcome] of byType)
    new Counter({
      name,
      help,
      labelNames: ["event_type"],
      registers,
      collect() {
        this.reset();
        for (const [type, c] of sortedEntries(stats.byEventType)) this.inc({ event_type: type }, c[outcome]);
      },
    });
  new Counter({
    name: "projector_events_read_total",
    help: "Events read from the source.",
    registers,
    collect() {
      this.reset();
      this.inc(stats.read);
    },
  });
  new Counter({
    name: "projector_rows_written_total",
    help: "Rows written per table.",
    labelNames: ["table"],
    registers,
    collect() {
      this.reset();
      for (const [table, n] of sortedEntries(stats.rowsByTable)) this.inc({ table }, n);
    },
  });
  new Counter({
    name: "projector_batch_retries_total",
    help: "Batches replayed after a transient MySQL error.",
    registers,
    collect() {
      this.reset();
      this.inc(stats.retries);
    },
  });
  new Counter({
    name: "projector_mysql_warnings_total",
    help: "Warnings MySQL raised for the writes (a deprecated form, a value adjusted): zero is the norm.",
    registers,
    collect() {
      this.reset();
      this.inc(stats.serverWarnings);
    },
  });
  const histogram = (h: BucketsHistogram) => registry.registerMetric(h as unknown as Metric);
  histogram(
    new BucketsHistogram("projector_batch_size_events", "Events per committed batch.", stats.batchEvents),
  );
  histogram(
    new BucketsHistogram(
      "projector_batch_duration_seconds",
      "Time to decide, write and commit a batch.",
      stats.batchMillis,
      1000,
    ),
  );
  histogram(
    new BucketsHistogram(
      "projector_event_to_commit_seconds",
      "From the message's broker timestamp to the commit of its row changes.",
      stats.latency,
      1000,
    ),
  );
  const lagGauge = (name: string, help: string, value: (l: LagSample) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["topic", "partition"],
      registers,
      collect() {
        this.reset();
        for (const l of src.lag()) this.set({ topic: l.topic, partition: l.partition }, value(l));
      },
    });
  lagGauge("projector_lag_events", "Events in the partition not yet applied.", (l) => l.events);
  lagGauge(
    "projector_lag_seconds",
    "Age of the last applied message while the partition has lag (0 when caught up).",
    (l) => l.seconds,
  );
  const letters = src.letters;
  if (letters) {
    new Gauge({
      name: "projector_dead_letters",
      help: "Dead letters now, by kind (failed, unmatched), event type and reason class (read from MySQL every 10 s).",
      labelNames: ["kind", "event_type", "reason_class"],
      registers,
      collect() {
        this.reset();
        for (const l of letters()?.letters ?? [])
          this.set({ kind: l.kind, event_type: l.eventType, reason_class: l.reasonClass }, l.n);
      },
    });
    new Counter({
      name: "projector_dead_letter_retries_total",
      help: "Letters that projector dead-letters retry went through, by event type and outcome.",
      labelNames: ["event_type", "outcome"],
      registers,
      collect() {
        this.reset();
        for (const r of letters()?.retried ?? [])
          this.inc({ event_type: r.eventType, outcome: r.outcome }, r.n);
      },
    });
    new Counter({
      name: "projector_dead_letters_purged_total",
      help: "Letters deleted by projector dead-letters purge.",
      labelNames: ["event_type"],
      registers,
      collect() {
        this.reset();
        for (const p of letters()?.purged ?? []) this.inc({ event_type: p.eventType }, p.n);
      },
    });
    new Gauge({
      name: "projector_rebuild_phase",
      help: "1 for the phase each rebuild is in (building, catching up, fenced, swapping, done), by its tables.",
      labelNames: ["tables", "phase"],
      registers,
      collect() {
        this.reset();
        for (const r of letters()?.rebuilds ?? []) this.set({ tables: r.tables, phase: r.phase }, 1);
      },
    });
    new Gauge({
      name: "projector_rebuild_applied_events",
      help: "Events a rebuild has applied to its shadow tables.",
      labelNames: ["tables"],
      registers,
      collect() {
        this.reset();
        for (const r of letters()?.rebuilds ?? []) this.set({ tables: r.tables }, r.applied);
      },
    });
    new Gauge({
      name: "projector_rebuild_behind_events",
      help: "How many events a rebuild's shadow tables are behind the live ones (0 once fenced).",
      labelNames: ["tables"],
      registers,
      collect() {
        this.reset();
        for (const r of letters()?.rebuilds ?? [])
          if (r.behind !== null) this.set({ tables: r.tables }, r.behind);
      },
    });
  }
  new Gauge({
    name: "projector_ready",
    help: "1 when consuming and writing, 0 while retrying or rebalancing.",
    registers,
    collect() {
      this.set(src.ready() ? 1 : 0);
    },
  });
  new Gauge({
    name: "projector_run_refused",
    help: "1 while the run refuses to start, by reason (spec_drift: tables whose rows follow older specs; projector status names them).",
    labelNames: ["reason"],
    registers,
    collect() {
      const refused = src.refused?.();
      for (const reason of REFUSAL_REASONS) this.set({ reason }, refused === reason ? 1 : 0);
    },
  });
  return registry;
}

/**
 * Reads the dead letters' gauges: letters by kind, type and reason class, the retry and purge
 * counters and the rebuilds. Event types the specs do not declare (`declared`) are `(unknown)`,
 * letters without one `(undecodable)`: the label values stay a bounded set whatever the events.
 */
export async function readLetterSample(
  db: { select(statements: readonly Statement[]): Promise<Record<string, unknown>[][]> },
  declared: ReadonlySet<string>,
  retryScope: string,
  purgeScope: string,
): Promise<LetterSample> {
  const [letters = [], retried = [], purged = [], rebuilds = []] = await db.select([
    lettersByClassStatement([...declared].sort()),
    selectCountersStatement(retryScope),
    selectCountersStatement(purgeScope),
    selectRebuildsStatement(),
  ]);
  const type = (v: unknown) => {
    if (v === null || v === undefined) return "(undecodable)";
    const t = String(v);
    return declared.has(t) || t === "(undecodable)" ? t : "(unknown)";
  };
  // Purges count raw types: summed here under their labels.
  const sum = <K extends string>(rows: { key: string; n: number; parts: Record<K, string> }[]) => {
    const out = new Map<string, Record<K, string> & { n: number }>();
    for (const r of rows) {
      const had = out.get(r.key);
      if (had) had.n += r.n;
      else out.set(r.key, { ...r.parts, n: r.n });
    }
    return [...out.values()];
  };
  return {
    letters: letters.map((r) => ({
      kind: String(r.kind),
      eventType: type(r.event_type),
      reasonClass: String(r.reason_class),
      n: Number(r.n),
    })),
    retried: sum(
      retried.map((r) => {
        const eventType = type(r.event_type);
        const outcome = String(r.outcome);
        return { key: `${eventType}\u0000${outcome}`, n: Number(r.events), parts: { eventType, outcome } };
      }),
    ),
    purged: sum(
      purged.map((r) => {
        const eventType = type(r.event_type);
        return { key: eventType, n: Number(r.events), parts: { eventType } };
      }),
    ),
    rebuilds: rebuilds.map((r) => ({
      tables: (JSON.parse(String(r.tables_json)) as string[]).join(","),
      phase: String(r.phase),
      applied: Number(r.applied),
      behind: r.behind === null ? null : Number(r.behind),
    })),
  };
}
