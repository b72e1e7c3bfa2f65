import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import type { CompiledSpec } from "../compile/compile.js";
import { compile } from "../compile/compile.js";
import { dialectOf } from "../compile/ddl.js";
import { listTablesStatement } from "../compile/reads.js";
import {
  dropOldSql,
  dropShadowsSql,
  OLD_SUFFIX,
  planRebuild,
  RebuildError,
  type RebuildPlan,
  SHADOW_SUFFIX,
  swapBackSql,
  swapSql,
} from "../compile/rebuild.js";
import { log } from "../core/log.js";
import { partitionKey, type SourceRecord } from "../core/source-record.js";
import { UserError } from "../core/user-error.js";
import { ExecutorStopped } from "../run/executor.js";
import { OffsetsStore } from "../run/offsets.js";
import { drain } from "../run/pipeline.js";
import { Stats } from "../run/stats.js";
import { MysqlSink } from "../sink/mysql-sink.js";
import { batchBytes, jsonlBatches } from "../source/jsonl.js";
import { BoundedReader } from "../source/kafka/bounded.js";
import { createKafka, kafkaSettings } from "../source/kafka/config.js";
import { ensureTopics } from "../source/kafka/topics.js";
import type { Spec } from "../specs/types.js";
import { saveFingerprintsStatement } from "../store/fingerprints.js";
import {
  bumpGenerationStatement,
  ensureGenerationStatement,
  lockGenerationStatement,
} from "../store/meta.js";
import {
  deleteOffsetsStatement,
  type OffsetRow,
  saveOffsetsStatement,
  selectOffsetsStatement,
} from "../store/offsets.js";
import { saveRebuildStatement } from "../store/rebuilds.js";
import { buildIndexes, deferIndexes } from "./bulk-load.js";
import { ensureSchema, openSink } from "./database.js";
import { applyInPieces, jobExecutor, stopOnSignals } from "./job.js";
import { kafkaUserError } from "./kafka-errors.js";
import {
  catchUp,
  checkAtLive,
  fence,
  type Offsets,
  type RebuildDatabase,
  SwapRefused,
  startOf,
  swap,
  topicOffsets,
} from "./rebuild-phases.js";
import { rebuilds, type TableState, tableStates } from "./versions.js";

export interface RebuildJob {
  readonly mysqlUrl: string;
  readonly brokers?: string;
  readonly group?: string;
  /** Say what would be rebuilt, write nothing. */
  readonly dryRun: boolean;
  /** Drop the old tables once swapped. */
  readonly dropOld: boolean;
  /** Rebuild from this JSONL file instead of the topics. */
  readonly from?: string;
  readonly batchSize: number;
  readonly maxRecordBytes: number;
  /** Progress as it goes (every 0.5 s at most). */
  readonly progress?: (p: RebuildProgress) => void;
}

export interface RebuildProgress {
  readonly phase: string;
  readonly applied: number;
  readonly eventsPerSecond: number;
  readonly behind: bigint | null;
}

/** What `rebuild --dry-run` says. */
export interface RebuildDryRun {
  readonly kind: "dry-run";
  readonly tables: readonly { table: string; state: string; reasons: readonly string[]; shadow: string }[];
  /** The file, or the topics. */
  readonly source: string | readonly string[];
  /** The phase an earlier rebuild of these tables was left in. */
  readonly previous: string | null;
}

/** What a rebuild did. */
export interface RebuildDone {
  readonly kind: "done";
  readonly rebuilt: readonly string[];
  readonly events: number;
  readonly applied: number;
  readonly dead_lettered: number;
  /** Events that came before their rows (read from another topic later) and healed when they came. */
  readonly healed: number;
  readonly seconds: number;
  readonly old_tables: readonly string[];
  readonly swap_back: string | null;
}

/** The engine tables only: what a rebuild makes sure of before it builds its shadows. */
const NO_TABLES: Spec = {
  tables: new Map(),
  events: new Map(),
  conditions: new Map(),
  examples: [],
  files: [],
};

/**
 * Rebuild `named` tables (and their children) again with the specs on disk into shadow tables, from
 * the earliest offsets of the topics that write them (or from a file), in a consumer group of its
 * own and through the same runtime as `run`, while a live run keeps the tables current; then the
 * fence and the swap (rebuild-phases.ts). Interrupted, it resumes from its own offsets.
 */
export async function rebuild(
  compiled: CompiledSpec,
  named: readonly string[],
  job: RebuildJob,
): Promise<RebuildDryRun | RebuildDone> {
  const settings = kafkaSettings({
    ...(job.brokers ? { brokers: job.brokers } : {}),
    ...(job.group ? { groupId: job.group } : {}),
  });
  if (job.from !== undefined && job.from !== "-" && !existsSync(job.from))
    throw new UserError(`cannot read ${job.from}: no such file`);
  const sink = await openSink(job.mysqlUrl);
  const stopping = stopOnSignals();
  let reader: BoundedReader | undefined;
  try {
    await ensureSchema(sink, compile(NO_TABLES));
    const dialect = dialectOf(await sink.serverVersion());
    let plan: RebuildPlan;
    try {
      plan = planRebuild(
        compiled.spec,
        [...named],
        dialect,
        `${Date.now()}.${randomBytes(4).toString("hex")}`,
      );
    } catch (e) {
      if (e instanceof RebuildError) throw new UserError(e.message);
      throw e;
    }
    const group = `${settings.groupId}.rebuild.${plan.name}`.slice(0, 255);
    const states = (await tableStates(sink, compiled.spec)).filter((s) => plan.tables.includes(s.table));
    const previous = (await rebuilds(sink)).find((r) => r.name === plan.name);
    const existing = await tableSet(sink);
    const topics = plan.topics.map((t) => settings.topicPrefix + t);
    if (job.dryRun) return dryRun(plan, states, previous?.phase, job.from ?? topics);

    const progress = new Progress(sink, plan, group, job.progress);
    const db = new MysqlRebuildDatabase(sink, job.mysqlUrl, plan, progress, settings.groupId);
    const start = startOf(
      previous,
      plan,
      plan.tables.every((t) => existing.has(`${t}${SHADOW_SUFFIX}`)),
      job.from !== undefined,
    );
    if (start.kind === "finish-swap") {
      log.info("finishing an interrupted swap", { rebuild: plan.name });
      return await finish(db, plan, start.sameSpecs, progress, job);
    }
    if (start.kind === "fresh") {
      for (const sql of dropShadowsSql(plan)) await sink.query(sql);
      const del = deleteOffsetsStatement(group);
      await sink.query(del.sql, [...del.params]);
    } else log.info("resuming the rebuild from its own offsets", { rebuild: plan.name, group });
    for (const ddl of plan.ddl) await sink.query(ddl);
    // The shadows are loaded from the start of history: their secondary indexes are built once,
    // before the fence (bulk-load.ts); a resumed rebuild builds those its first attempt dropped.
    const shadows = plan.tables.map((t) => ({
      name: `${t}${SHADOW_SUFFIX}`,
      spec: plan.compiled.tableByName.get(t)!.spec,
    }));
    if (start.kind === "fresh") await deferIndexes(sink, shadows);
    const buildShadowIndexes = async (): Promise<number> => {
      const built = await buildIndexes(sink, shadows);
      if (built.built > 0) stats.indexesBuilt = built;
      return built.built;
    };
    await progress.save("building", null);

    const stats = new Stats();
    const executor = jobExecutor(
      plan.compiled,
      sink,
      {
        stats,
        ...(job.from !== undefined ? {} : { group }),
        scope: `rebuild ${plan.name}`,
        // The letters already there wait on the live tables; those the rebuild keeps, on its own.
        healing: "own",
        signal: stopping.signal,
      },
      "the rebuild's batch",
    );
    progress.stats = stats;
    const apply = async (records: SourceRecord[]) => {
      await applyInPieces(executor, records);
      await progress.tick();
    };
    const fenced = () => progress.save("fenced", 0n);

    if (job.from !== undefined) {
      // From a file: the whole history is there; nothing runs beside (no live offsets to meet). It
      // goes through replay's pipeline: the next batch is read and planned while MySQL writes one.
      const batches = jsonlBatches(job.from, {
        batchSize: job.batchSize,
        lingerMs: 0,
        maxRecordBytes: job.maxRecordBytes,
        maxBatchBytes: batchBytes(job.maxRecordBytes),
      });
      let atEnd = false;
      try {
        ({ atEnd } = await drain(executor, batches, stopping.signal, () => progress.tick()));
      } finally {
        if (!atEnd) {
          // Stopped before the end: a read may still wait on an idle stdin; end it.
          if (job.from === "-") process.stdin.destroy();
          void batches.return(undefined).catch(() => undefined);
        }
      }
      if (!atEnd) throw new UserError("rebuild stopped by a signal: run it again to start over", 2);
      await buildShadowIndexes();
      await fence(db, fenced, async () => undefined);
    } else {
      const kafka = createKafka(settings);
      await ensureTopics(kafka, topics, settings.partitions);
      const live = new OffsetsStore(sink, settings.groupId);
      const liveOffsets = await live.all();
      const mine = topicOffsets(await new OffsetsStore(sink, group).all(), topics);
      if (topicOffsets(liveOffsets, topics).size === 0 && plan.tables.some((t) => existing.has(t)))
        throw new UserError(
          `the consumer group ${settings.groupId} has applied nothing of ${topics.join(", ")}: if ${plan.tables.join(", ")} were built by replay, rebuild them with --from <file>; else name the live group with --group`,
        );
      reader = new BoundedReader(kafka, {
        topics,
        // Its own Kafka group each time (a killed rebuild's member would hold partitions for a while).
        groupId: `${group}.${randomBytes(4).toString("hex")}`,
        start: mine,
        batchSize: job.batchSize,
        maxRecordBytes: job.maxRecordBytes,
      });
      await reader.start();
      // Every partition gets its offset row now, at where it starts: the batches then only update
      // rows, and take no gap lock a live run's batch could hold up.
      const rows: OffsetRow[] = [...reader.positionList()].map((p) => ({
        group,
        topic: p.topic,
        partition: p.partition,
        next: p.next.toString(),
      }));
      if (rows.length > 0) {
        const st = saveOffsetsStatement(rows, sink.dialect);
        await sink.transaction((tx) => tx.execute([st]));
      }
      const r = reader;
      const catchUpLive = () =>
        catchUp(
          r,
          async () => topicOffsets(await live.all(), topics),
          (behind) => progress.save("catching up", behind),
          apply,
          stopping.signal,
        );
      await catchUpLive();
      // What the live run wrote while the indexes were built is caught up before the fence, not in it.
      if ((await buildShadowIndexes()) > 0) await catchUpLive();
      await fence(db, fenced, async (liveNow) => {
        const targets = topicOffsets(liveNow, topics);
        await r.readTo(targets, apply, stopping.signal);
        checkAtLive(r.next, targets);
      });
    }
    return await finish(db, plan, true, progress, job);
  } catch (e) {
    if (e instanceof ExecutorStopped || (stopping.signal.aborted && !(e instanceof UserError)))
      throw new UserError(`rebuild stopped (${(e as Error).message}): run it again to resume`, 2);
    const k = kafkaUserError(e, settings.brokers);
    if (k) throw k;
    throw e;
  } finally {
    stopping.dispose();
    await reader?.stop();
    await sink.close();
  }
}

async function finish(
  db: RebuildDatabase,
  plan: RebuildPlan,
  sameSpecs: boolean,
  progress: Progress,
  job: RebuildJob,
): Promise<RebuildDone> {
  try {
    await swap(db, { sameSpecs, dropOld: job.dropOld, tables: plan.tables });
  } catch (e) {
    if (e instanceof SwapRefused) throw new UserError(e.message);
    throw e;
  }
  const s = progress.stats?.summary();
  return {
    kind: "done",
    rebuilt: plan.tables,
    events: Number(s?.read ?? 0),
    applied: Number(s?.applied ?? 0),
    dead_lettered: Number(s?.dead_lettered ?? 0),
    healed: Number(s?.healed ?? 0),
    seconds: Number(s?.seconds ?? 0),
    old_tables: job.dropOld ? [] : plan.tables.map((t) => `${t}${OLD_SUFFIX}`),
    swap_back: job.dropOld ? null : swapBackSql(plan),
  };
}

async function tableSet(sink: MysqlSink): Promise<Set<string>> {
  const [rows = []] = await sink.select([listTablesStatement()]);
  return new Set(rows.map((r) => String(r.t)));
}

function dryRun(
  plan: RebuildPlan,
  states: readonly TableState[],
  phase: string | undefined,
  source: string | readonly string[],
): RebuildDryRun {
  return {
    kind: "dry-run",
    tables: plan.tables.map((t) => {
      const s = states.find((x) => x.table === t);
      return {
        table: t,
        state: s?.state ?? "new",
        reasons: s?.reasons ?? [],
        shadow: `${t}${SHADOW_SUFFIX}`,
      };
    }),
    source,
    previous: phase ?? null,
  };
}

/** The fence and the swap over MySQL. */
class MysqlRebuildDatabase implements RebuildDatabase {
  constructor(
    private readonly sink: MysqlSink,
    private readonly url: string,
    private readonly plan: RebuildPlan,
    private readonly progress: Progress,
    private readonly liveGroup: string,
  ) {}

  async fenced(inside: (liveOffsets: Offsets) => Promise<void>): Promise<void> {
    const gen = ensureGenerationStatement();
    await this.sink.query(gen.sql, [...gen.params]);
    // The lock is held on a session of its own while the shadows catch up on the sink's.
    const fence = new MysqlSink(this.url);
    try {
      await fence.transaction(async (tx) => {
        await tx.select([lockGenerationStatement("exclusive", this.sink.dialect)]);
        // Read after the lock: every live batch that began before it has committed.
        const [rows = []] = await tx.select([selectOffsetsStatement(this.liveGroup)]);
        const liveNow = new Map(
          rows.map((r) => [
            partitionKey(String(r.topic), Number(r.partition_id)),
            BigInt(String(r.next_offset)),
          ]),
        );
        await inside(liveNow);
        await tx.execute([
          saveRebuildStatement(this.progress.row("swapping", 0n), this.sink.dialect),
          bumpGenerationStatement(),
        ]);
      });
    } finally {
      await fence.close();
    }
  }

  async shadowsThere(): Promise<boolean> {
    const existing = await tableSet(this.sink);
    return this.plan.tables.every((t) => existing.has(`${t}${SHADOW_SUFFIX}`));
  }

  async swapIn(): Promise<void> {
    const existing = await tableSet(this.sink);
    for (const sql of dropOldSql(this.plan)) await this.sink.query(sql);
    await this.sink.query(swapSql(this.plan, existing));
    log.info("swapped in", { tables: this.plan.tables });
  }

  async recordDone(): Promise<void> {
    const fingerprints = saveFingerprintsStatement(
      [...this.plan.fingerprints.values()].map((f) => ({
        table: f.table,
        fingerprint: f.fingerprint,
        json: f.json,
      })),
      this.sink.dialect,
    );
    // The new versions, and the rebuild's own offsets forgotten: the live group's are the tables' now.
    await this.sink.transaction((tx) =>
      tx.execute([
        fingerprints,
        saveRebuildStatement(this.progress.row("done", 0n), this.sink.dialect),
        deleteOffsetsStatement(this.progress.group),
      ]),
    );
  }

  async dropOld(): Promise<void> {
    for (const sql of dropOldSql(this.plan)) await this.sink.query(sql);
  }
}

/** The rebuild's progress: in projector_rebuilds (status, metrics), and to the job's progress callback. */
class Progress {
  stats: Stats | undefined;
  private lastSaved = 0;
  private lastReported = 0;
  private behind: bigint | null = null;
  private phase = "building";

  constructor(
    private readonly sink: MysqlSink,
    private readonly plan: RebuildPlan,
    readonly group: string,
    private readonly report: ((p: RebuildProgress) => void) | undefined,
  ) {}

  row(phase: string, behind: bigint | null) {
    return {
      name: this.plan.name,
      tables: this.plan.tables,
      fingerprint: this.plan.fingerprint,
      group: this.group,
      phase,
      applied: this.stats?.read ?? 0,
      behind: behind === null ? null : Number(behind),
    };
  }

  async save(phase: string, behind: bigint | null): Promise<void> {
    this.phase = phase;
    this.behind = behind;
    const st = saveRebuildStatement(this.row(phase, behind), this.sink.dialect);
    await this.sink.query(st.sql, [...st.params]);
    this.lastSaved = performance.now();
    this.tell();
  }

  /** After each batch: saved every 2 s, reported every 0.5 s. */
  async tick(): Promise<void> {
    if (performance.now() - this.lastSaved > 2_000) await this.save(this.phase, this.behind);
    else this.tell();
  }

  private tell(): void {
    if (!this.report || performance.now() - this.lastReported < 500) return;
    this.lastReported = performance.now();
    const s = this.stats?.summary();
    this.report({
      phase: this.phase,
      applied: Number(s?.read ?? 0),
      eventsPerSecond: Number(s?.events_per_second ?? 0),
      behind: this.behind,
    });
  }
}
