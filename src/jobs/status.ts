import type { CompiledSpec } from "../compile/compile.js";
import { COUNTERS, DEAD_LETTERS, META, OFFSETS, TOMBSTONES } from "../compile/engine-tables.js";
import { META_QUERY } from "../compile/migration.js";
import { countRowsStatement, listTablesStatement } from "../compile/reads.js";
import { log } from "../core/log.js";
import { partitionKey } from "../core/source-record.js";
import { OffsetsStore } from "../run/offsets.js";
import type { MysqlSink } from "../sink/mysql-sink.js";
import { createKafka, type KafkaSettings, kafkaSettings } from "../source/kafka/config.js";
import { lagEvents } from "../source/kafka/lag.js";
import { watermarks } from "../source/kafka/topics.js";
import { selectCountersStatement } from "../store/counters.js";
import { countLettersStatement } from "../store/dead-letters.js";
import { lettersByClassStatement } from "../store/letter-classes.js";
import { openSink } from "./database.js";
import { PURGE_SCOPE, RETRY_SCOPE } from "./dead-letters.js";
import { kafkaUserError } from "./kafka-errors.js";
import { rebuilds, specsGeneration, type TableState, tableStates } from "./versions.js";

/** Where status looks: the database, the brokers and the consumer group. */
export interface StatusJob {
  readonly mysqlUrl: string;
  readonly brokers?: string;
  readonly group?: string;
}

interface PartitionStatus {
  topic: string;
  partition: number;
  next_offset: string | null;
  high_watermark: string | null;
  lag: number | null;
}

function settingsOf(job: StatusJob): KafkaSettings {
  return kafkaSettings({
    ...(job.brokers ? { brokers: job.brokers } : {}),
    ...(job.group ? { groupId: job.group } : {}),
  });
}

/**
 * The projection's state, as `status --json` prints it (lag from MySQL's offsets against the
 * brokers' high watermarks, dead letters, counters, rows, versions, rebuilds), with each table's
 * state and the exit code: 0, or when Kafka could not be asked 2 (unreachable) or 1 (credentials).
 */
export async function readStatus(compiled: CompiledSpec, job: StatusJob) {
  const settings = settingsOf(job);
  const sink = await openSink(job.mysqlUrl);
  const partitions: PartitionStatus[] = [];
  const rows: Record<string, number | null> = {};
  let deadLetters: number | null = null;
  let unmatchedLetters: number | null = null;
  /** The most frequent reasons (kind, event type, reason), at most 20. */
  const letterReasons: {
    kind: string;
    event_type: string | null;
    reason: string;
    retriable: boolean;
    letters: number;
  }[] = [];
  let tombstones: number | null = null;
  let dialect: string | null = null;
  /** Events by scope (the group, "replay"), event type and outcome, as the batches committed them. */
  const counters: Record<string, Record<string, Record<string, number>>> = {};
  let keyCollation: string | null = null;
  let kafkaError: string | undefined;
  /** Each table's rows against the specs on disk, and the rebuilds recorded. */
  let states: TableState[] = [];
  let generation: string | null = null;
  let rebuildRows: Awaited<ReturnType<typeof rebuilds>> = [];
  /** Exit code when Kafka failed: 2 unreachable, 1 credentials refused. */
  let kafkaExit = 0;
  try {
    const [tables = []] = await sink.select([listTablesStatement()]);
    const existing = new Set(tables.map((r) => String(r.t)));
    const count = async (table: string) => {
      const [rows = []] = await sink.select([countRowsStatement(table)]);
      return Number(rows[0]?.n ?? 0);
    };
    const stored = existing.has(OFFSETS) ? await new OffsetsStore(sink, settings.groupId).all() : new Map();
    if (existing.has(DEAD_LETTERS)) {
      const [rows = []] = await sink.select([countLettersStatement({})]);
      deadLetters = 0;
      unmatchedLetters = 0;
      for (const r of rows) {
        const n = Number(r.n);
        if (r.kind === "unmatched") unmatchedLetters += n;
        else deadLetters += n;
        if (letterReasons.length < 20)
          letterReasons.push({
            kind: String(r.kind),
            event_type: r.event_type === null ? null : String(r.event_type),
            reason: String(r.reason),
            retriable: Boolean(Number(r.retriable)),
            letters: n,
          });
      }
    }
    if (existing.has(TOMBSTONES)) tombstones = await count(TOMBSTONES);
    if (existing.has(COUNTERS)) {
      for (const scope of [settings.groupId, "replay", RETRY_SCOPE, PURGE_SCOPE]) {
        const [rows = []] = await sink.select([selectCountersStatement(scope)]);
        if (rows.length === 0) continue;
        const byType: Record<string, Record<string, number>> = {};
        for (const r of rows) {
          const type = String(r.event_type);
          byType[type] = { ...byType[type], [String(r.outcome)]: Number(r.events) };
        }
        counters[scope] = byType;
      }
    }
    if (existing.has(META)) {
      const [meta = []] = await sink.select([META_QUERY]);
      const value = (name: string) => {
        const v = meta.find((r) => r.name === name)?.value;
        return v === undefined ? null : String(v);
      };
      dialect = value("dialect");
      keyCollation = value("key_collation");
    }
    for (const t of compiled.tables) rows[t.name] = existing.has(t.name) ? await count(t.name) : null;
    states = await tableStates(sink, compiled.spec);
    rebuildRows = await rebuilds(sink);
    if (existing.has(META)) generation = await specsGeneration(sink);
    // A status answers quickly: a broker that does not answer is reported, not waited for.
    const admin = createKafka(settings, { retries: 1 }).admin();
    try {
      await admin.connect();
      const topics = new Set(await admin.listTopics());
      for (const topic of compiled.topics.map((t) => settings.topicPrefix + t)) {
        if (!topics.has(topic)) continue;
        for (const w of await watermarks(admin, topic)) {
          const next = stored.get(partitionKey(topic, w.partition)) ?? null;
          partitions.push({
            topic,
            partition: w.partition,
            next_offset: next?.toString() ?? null,
            high_watermark: w.high.toString(),
            lag: lagEvents({ topic, partition: w.partition, next, high: w.high, low: w.low }),
          });
        }
      }
    } catch (e) {
      const user = kafkaUserError(e, settings.brokers);
      kafkaError = user?.message ?? (e as Error).message;
      kafkaExit = user?.exitCode ?? 2;
      log.warn(kafkaError);
      for (const [k, next] of stored) {
        const [topic, p] = k.split("\u0000");
        partitions.push({
          topic: topic!,
          partition: Number(p),
          next_offset: next.toString(),
          high_watermark: null,
          lag: null,
        });
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  } finally {
    await sink.close();
  }
  const totalLag = kafkaError ? null : partitions.reduce((n, p) => n + (p.lag ?? 0), 0);
  const status = {
    group: settings.groupId,
    database: sink.database,
    total_lag: totalLag,
    partitions,
    dialect,
    key_collation: keyCollation,
    dead_letters: deadLetters,
    unmatched_letters: unmatchedLetters,
    dead_letter_reasons: letterReasons,
    tombstones,
    events: counters,
    rows,
    specs_generation: generation,
    versions: Object.fromEntries(states.map((v) => [v.table, { state: v.state, reasons: v.reasons }])),
    needs_rebuild: states.filter((v) => v.state === "rebuild").map((v) => v.table),
    rebuilds: rebuildRows.map((r) => ({
      name: r.name,
      tables: r.tables,
      phase: r.phase,
      consumer_group: r.group,
      applied: r.applied,
      behind: r.behind,
      started_at: r.startedAt,
      updated_at: r.updatedAt,
    })),
    ...(kafkaError ? { kafka_error: kafkaError } : {}),
  };
  return { status, states, exitCode: kafkaExit };
}

/** What `status --json` prints. */
export type StatusReport = Awaited<ReturnType<typeof readStatus>>["status"];

/** One look at the projection: what a frame of `status --watch` shows. */
export interface WatchSample {
  /** When it was taken (ms since the epoch). */
  readonly at: number;
  /** Lag per topic (the sum of its partitions'), undefined when Kafka could not be asked. */
  readonly lag: ReadonlyMap<string, number> | undefined;
  /** Events the group committed so far, by outcome (projector_counters), undefined before any. */
  readonly outcomes: ReadonlyMap<string, number> | undefined;
  /** Dead letters now, by kind and reason class. */
  readonly letters: readonly { kind: string; reasonClass: string; n: number }[];
  readonly rebuilds: readonly {
    tables: readonly string[];
    phase: string;
    applied: number;
    behind: number | null;
  }[];
  readonly tables: readonly TableState[];
  /** Tables of the specs that do not exist yet (projector migrate creates them). */
  readonly missing: readonly string[];
  /** What could not be read this time (a server away), shown in the frame. */
  readonly errors: readonly string[];
}

/** `status --watch`'s reader: a sample of MySQL and the brokers each time it is asked; close() when done. */
export class StatusWatch {
  private constructor(
    private readonly sink: MysqlSink,
    private readonly compiled: CompiledSpec,
    private readonly settings: KafkaSettings,
    private readonly admin: ReturnType<ReturnType<typeof createKafka>["admin"]>,
  ) {}

  static async open(compiled: CompiledSpec, job: StatusJob): Promise<StatusWatch> {
    const settings = settingsOf(job);
    const sink = await openSink(job.mysqlUrl);
    const admin = createKafka(settings, { retries: 1 }).admin();
    return new StatusWatch(sink, compiled, settings, admin);
  }

  /** Connects to the brokers (once the caller handles signals: it may wait for a broker that does not answer). */
  async connect(): Promise<void> {
    await this.admin.connect().catch(() => undefined); // unreachable: each sample says so
  }

  get group(): string {
    return this.settings.groupId;
  }

  get database(): string {
    return this.sink.database;
  }

  sample(): Promise<WatchSample> {
    return readSample(this.sink, this.compiled, this.settings, this.admin);
  }

  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
    await this.sink.close();
  }
}

/** Reads one sample: MySQL (offsets, counters, letters, versions, rebuilds) and the brokers' watermarks. */
async function readSample(
  sink: MysqlSink,
  compiled: CompiledSpec,
  settings: KafkaSettings,
  admin: ReturnType<ReturnType<typeof createKafka>["admin"]>,
): Promise<WatchSample> {
  const errors: string[] = [];
  let stored = new Map<string, bigint>();
  let outcomes: Map<string, number> | undefined;
  let letters: WatchSample["letters"] = [];
  let rebuildRows: WatchSample["rebuilds"] = [];
  let tables: TableState[] = [];
  let missing: string[] = [];
  try {
    const [rows = []] = await sink.select([listTablesStatement()]);
    const existing = new Set(rows.map((r) => String(r.t)));
    missing = compiled.tables.map((t) => t.name).filter((t) => !existing.has(t));
    if (existing.has(OFFSETS)) stored = await new OffsetsStore(sink, settings.groupId).all();
    if (existing.has(COUNTERS)) {
      const [counters = []] = await sink.select([selectCountersStatement(settings.groupId)]);
      if (counters.length > 0) {
        outcomes = new Map();
        for (const r of counters)
          outcomes.set(String(r.outcome), (outcomes.get(String(r.outcome)) ?? 0) + Number(r.events));
      }
    }
    if (existing.has(DEAD_LETTERS)) {
      const [byClass = []] = await sink.select([lettersByClassStatement([...compiled.events.keys()].sort())]);
      const sums = new Map<string, { kind: string; reasonClass: string; n: number }>();
      for (const r of byClass) {
        const key = `${r.kind}\u0000${r.reason_class}`;
        const had = sums.get(key);
        if (had) had.n += Number(r.n);
        else sums.set(key, { kind: String(r.kind), reasonClass: String(r.reason_class), n: Number(r.n) });
      }
      letters = [...sums.values()];
    }
    tables = await tableStates(sink, compiled.spec);
    rebuildRows = (await rebuilds(sink)).map((r) => ({
      tables: r.tables,
      phase: r.phase,
      applied: r.applied,
      behind: r.behind,
    }));
  } catch (e) {
    errors.push(`MySQL: ${(e as Error).message}`);
  }
  let lag: Map<string, number> | undefined;
  try {
    const topics = new Set(await admin.listTopics());
    lag = new Map();
    for (const topic of compiled.topics.map((t) => settings.topicPrefix + t)) {
      if (!topics.has(topic)) continue;
      let sum = 0;
      for (const w of await watermarks(admin, topic))
        sum += lagEvents({
          topic,
          partition: w.partition,
          next: stored.get(partitionKey(topic, w.partition)) ?? null,
          high: w.high,
          low: w.low,
        });
      lag.set(topic, sum);
    }
  } catch (e) {
    lag = undefined;
    errors.push(`Kafka: ${kafkaUserError(e, settings.brokers)?.message ?? (e as Error).message}`);
  }
  return {
    at: Date.now(),
    lag,
    outcomes,
    letters,
    rebuilds: rebuildRows,
    tables,
    missing,
    errors,
  };
}
