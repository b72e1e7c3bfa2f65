import { randomBytes } from "node:crypto";
import { compile } from "../../compile/compile.js";
import { dialectOf } from "../../compile/ddl.js";
import { listTablesStatement } from "../../compile/reads.js";
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
} from "../../compile/rebuild.js";
import { log } from "../../core/log.js";
import { partitionKey, type SourceRecord } from "../../core/source-record.js";
import { UserError } from "../../core/user-error.js";
import { ensureSchema, mysqlUrl, openSink } from "../../jobs/database.js";
import { kafkaUserError } from "../../jobs/kafka-errors.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { rebuilds, tableStates } from "../../jobs/versions.js";
import { Executor, ExecutorStopped } from "../../run/executor.js";
import { OffsetsStore } from "../../run/offsets.js";
import { Pieces } from "../../run/prepare.js";
import { Stats } from "../../run/stats.js";
import { MysqlSink } from "../../sink/mysql-sink.js";
import { batchBytes, jsonlBatches } from "../../source/jsonl.js";
import { BoundedReader } from "../../source/kafka/bounded.js";
import { createKafka, kafkaSettings } from "../../source/kafka/config.js";
import { ensureTopics } from "../../source/kafka/topics.js";
import type { Spec } from "../../specs/types.js";
import { saveFingerprintsStatement } from "../../store/fingerprints.js";
import {
  bumpGenerationStatement,
  ensureGenerationStatement,
  lockGenerationStatement,
} from "../../store/meta.js";
import {
  deleteOffsetsStatement,
  type OffsetRow,
  saveOffsetsStatement,
  selectOffsetsStatement,
} from "../../store/offsets.js";
import { saveRebuildStatement } from "../../store/rebuilds.js";
import { bytesOption, intOption } from "../errors.js";

export interface RebuildOptions {
  mysqlUrl?: string;
  brokers?: string;
  group?: string;
  dryRun?: boolean;
  dropOld?: boolean;
  from?: string;
  batchSize: string;
  maxRecordBytes: string;
  json?: boolean;
}

/** The engine tables only: what a rebuild makes sure of before it builds its shadows. */
const NO_TABLES: Spec = {
  tables: new Map(),
  events: new Map(),
  conditions: new Map(),
  examples: [],
  files: [],
};

/** The shadow is close enough to the live tables to fence them and catch up the rest. */
const CLOSE_ENOUGH = 2_000n;

/**
 * `projector rebuild <table…>`: builds the tables (and their children) again with the specs on disk
 * into shadow tables, from the earliest offsets of the topics that write them (or from a file with
 * --from), in a consumer group of its own and through the same runtime as `run`, while a live run
 * keeps the tables current. Caught up, it holds the live runs' batches (the specs generation, locked),
 * brings the shadows exactly to the live offsets, swaps them in with one RENAME TABLE (the old ones
 * are kept as `<table>__old`) and records their new version; the live runs see the generation move
 * and stop to be restarted with the new specs. Interrupted, it resumes from its own offsets.
 */
export async function rebuildCommand(dir: string, named: string[], opts: RebuildOptions): Promise<number> {
  const compiled = loadCompiled(dir);
  const batchSize = intOption("--batch-size", opts.batchSize, 1);
  const maxRecordBytes = bytesOption("--max-record-bytes", opts.maxRecordBytes, 1024);
  const settings = kafkaSettings({
    ...(opts.brokers ? { brokers: opts.brokers } : {}),
    ...(opts.group ? { groupId: opts.group } : {}),
  });
  const url = mysqlUrl(opts.mysqlUrl);
  const sink = await openSink(url);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let reader: BoundedReader | undefined;
  try {
    await ensureSchema(sink, compile(NO_TABLES));
    const dialect = dialectOf(await sink.serverVersion());
    let plan: RebuildPlan;
    try {
      plan = planRebuild(compiled.spec, named, dialect, `${Date.now()}.${randomBytes(4).toString("hex")}`);
    } catch (e) {
      if (e instanceof RebuildError) throw new UserError(e.message);
      throw e;
    }
    const group = `${settings.groupId}.rebuild.${plan.name}`.slice(0, 255);
    const states = (await tableStates(sink, compiled.spec)).filter((s) => plan.tables.includes(s.table));
    const previous = (await rebuilds(sink)).find((r) => r.name === plan.name);
    const existing = await tableSet(sink);
    const topics = plan.topics.map((t) => settings.topicPrefix + t);
    if (opts.dryRun) return dryRun(plan, states, previous?.phase, topics, opts);

    const progress = new Progress(sink, plan, group, settings.groupId, opts.json ?? false);
    if (previous?.phase === "swapping") {
      // Interrupted during its swap: the live runs are held (the generation moved); finish it.
      log.info("finishing an interrupted swap", { rebuild: plan.name });
      return await finishSwap(sink, plan, previous.fingerprint === plan.fingerprint, progress, opts);
    }
    const shadowsThere = plan.tables.every((t) => existing.has(`${t}${SHADOW_SUFFIX}`));
    const resume =
      !opts.from &&
      previous !== undefined &&
      previous.phase !== "done" &&
      previous.fingerprint === plan.fingerprint &&
      shadowsThere;
    if (!resume) {
      for (const sql of dropShadowsSql(plan)) await sink.query(sql);
      const del = deleteOffsetsStatement(group);
      await sink.query(del.sql, [...del.params]);
    } else log.info("resuming the rebuild from its own offsets", { rebuild: plan.name, group });
    for (const ddl of plan.ddl) await sink.query(ddl);
    await progress.save("building", null);

    const stats = new Stats();
    const executor = new Executor(plan.compiled, sink, {
      stats,
      ...(opts.from ? {} : { group }),
      scope: `rebuild ${plan.name}`,
      signal: controller.signal,
      onRetry: (e, attempt, delay) =>
        log.warn("MySQL cannot take the rebuild's batch; retrying", {
          attempt,
          delay_ms: delay,
          error: e.message,
        }),
    });
    progress.stats = stats;
    const apply = async (records: SourceRecord[]) => {
      // In pieces of at most MAX_BATCH_VALUES values of rows (prepare.ts), as run and replay do.
      const pieces = new Pieces((r) => executor.prepare(r), records);
      while (!pieces.done) await executor.applyPrepared(pieces.next());
      await progress.tick();
    };

    if (opts.from) {
      // From a file: the whole history is there; nothing runs beside (no live offsets to meet).
      for await (const batch of jsonlBatches(opts.from, {
        batchSize,
        lingerMs: 0,
        maxRecordBytes,
        maxBatchBytes: batchBytes(maxRecordBytes),
      })) {
        if (controller.signal.aborted)
          throw new UserError("rebuild stopped by a signal: run it again to start over", 2);
        await apply(batch);
      }
      await fencedSwap(sink, url, progress, async () => undefined);
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
        batchSize,
        maxRecordBytes,
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
      // Catch up with the live tables, round after round, without ever passing them.
      let last = -1n;
      for (let round = 0; ; round++) {
        const targets = topicOffsets(await live.all(), topics);
        const behind = r.behind(targets);
        await progress.save("catching up", behind);
        // Close enough, or not closing in (the live run as fast as the rebuild): fence and finish.
        if (behind <= CLOSE_ENOUGH || (round >= 3 && last >= 0n && behind >= last)) break;
        last = behind;
        await r.readTo(targets, apply, controller.signal);
      }
      await fencedSwap(sink, url, progress, async (liveNow) => {
        const targets = topicOffsets(liveNow, topics);
        await r.readTo(targets, apply, controller.signal);
        // Exactly where the live tables are: nothing missing, nothing ahead.
        for (const [k, t] of targets) {
          const at = r.next.get(k);
          if (at !== undefined && at !== t)
            throw new Error(
              `rebuild shadow at ${at} of ${k.replace("\u0000", "/")}, the live tables at ${t}`,
            );
        }
      });
    }
    return await finishSwap(sink, plan, true, progress, opts);
  } catch (e) {
    if (e instanceof ExecutorStopped || (controller.signal.aborted && !(e instanceof UserError)))
      throw new UserError(`rebuild stopped (${(e as Error).message}): run it again to resume`, 2);
    const k = kafkaUserError(e, settings.brokers);
    if (k) throw k;
    throw e;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await reader?.stop();
    await sink.close();
  }
}

/** The partitions of `topics` in an offsets map. */
function topicOffsets(all: ReadonlyMap<string, bigint>, topics: readonly string[]): Map<string, bigint> {
  const want = new Set(topics);
  return new Map([...all].filter(([k]) => want.has(k.split("\u0000")[0]!)));
}

async function tableSet(sink: MysqlSink): Promise<Set<string>> {
  const [rows = []] = await sink.select([listTablesStatement()]);
  return new Set(rows.map((r) => String(r.t)));
}

/**
 * Holds every live run's batches (the specs generation, locked exclusively on a session of its own),
 * lets `catchUp` bring the shadows to the live offsets as they are then, and marks the rebuild as
 * swapping while moving the generation on, in that transaction: once it commits, live runs stop
 * (their batches see the generation move) and new ones wait for the swap.
 */
async function fencedSwap(
  sink: MysqlSink,
  url: string,
  progress: Progress,
  catchUp: (liveOffsets: Map<string, bigint>) => Promise<void>,
): Promise<void> {
  const gen = ensureGenerationStatement();
  await sink.query(gen.sql, [...gen.params]);
  const fence = new MysqlSink(url);
  try {
    await fence.transaction(async (tx) => {
      await tx.select([lockGenerationStatement("exclusive", sink.dialect)]);
      // Read after the lock: every live batch that began before it has committed.
      const [rows = []] = await tx.select([selectOffsetsStatement(progress.liveGroup)]);
      const liveNow = new Map(
        rows.map((r) => [
          partitionKey(String(r.topic), Number(r.partition_id)),
          BigInt(String(r.next_offset)),
        ]),
      );
      await progress.save("fenced", 0n);
      await catchUp(liveNow);
      await tx.execute([
        saveRebuildStatement(progress.row("swapping", 0n), sink.dialect),
        bumpGenerationStatement(),
      ]);
    });
  } finally {
    await fence.close();
  }
}

/** The swap (if not done yet) and the new versions; then the old tables dropped when asked. */
async function finishSwap(
  sink: MysqlSink,
  plan: RebuildPlan,
  sameSpecs: boolean,
  progress: Progress,
  opts: RebuildOptions,
): Promise<number> {
  if (!sameSpecs)
    throw new UserError(
      `a rebuild of ${plan.tables.join(", ")} with other specs was interrupted while swapping: run it again with the specs it began with`,
    );
  const existing = await tableSet(sink);
  if (plan.tables.every((t) => existing.has(`${t}${SHADOW_SUFFIX}`))) {
    for (const sql of dropOldSql(plan)) await sink.query(sql);
    await sink.query(swapSql(plan, existing));
    log.info("swapped in", { tables: plan.tables });
  }
  const fingerprints = saveFingerprintsStatement(
    [...plan.fingerprints.values()].map((f) => ({
      table: f.table,
      fingerprint: f.fingerprint,
      json: f.json,
    })),
    sink.dialect,
  );
  // The new versions, and the rebuild's own offsets forgotten: the live group's are the tables' now.
  await sink.transaction((tx) =>
    tx.execute([
      fingerprints,
      saveRebuildStatement(progress.row("done", 0n), sink.dialect),
      deleteOffsetsStatement(progress.group),
    ]),
  );
  if (opts.dropOld) for (const sql of dropOldSql(plan)) await sink.query(sql);
  const s = progress.stats?.summary();
  const summary = {
    rebuilt: plan.tables,
    events: s?.read ?? 0,
    applied: s?.applied ?? 0,
    dead_lettered: s?.dead_lettered ?? 0,
    seconds: s?.seconds ?? 0,
    old_tables: opts.dropOld ? [] : plan.tables.map((t) => `${t}${OLD_SUFFIX}`),
    swap_back: opts.dropOld ? null : swapBackSql(plan),
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `${[
        `rebuilt ${plan.tables.join(", ")}: ${summary.events} events read, ${summary.applied} applied, ${summary.dead_lettered} dead-lettered, in ${summary.seconds} s`,
        opts.dropOld
          ? "the old tables were dropped (--drop-old)"
          : `the old tables are kept as ${summary.old_tables.join(", ")} until --drop-old or the next rebuild; to swap them back: ${summary.swap_back}`,
        "live runs of the group stop (exit 3) and, restarted, go on with the specs on disk",
      ].join("\n")}\n`,
    );
  return 0;
}

function dryRun(
  plan: RebuildPlan,
  states: Awaited<ReturnType<typeof tableStates>>,
  phase: string | undefined,
  topics: readonly string[],
  opts: RebuildOptions,
): number {
  const out = {
    dry_run: true,
    tables: plan.tables.map((t) => {
      const s = states.find((x) => x.table === t);
      return {
        table: t,
        state: s?.state ?? "new",
        reasons: s?.reasons ?? [],
        shadow: `${t}${SHADOW_SUFFIX}`,
      };
    }),
    source: opts.from ?? topics,
    previous: phase ?? null,
  };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  }
  const lines = [`would rebuild ${plan.tables.join(", ")} (nothing written: --dry-run)`];
  for (const t of out.tables) {
    const why =
      t.state === "rebuild"
        ? `needs a rebuild: ${t.reasons.join("; ")}`
        : t.state === "additive"
          ? `migrate is enough: ${t.reasons.join("; ")}`
          : t.state;
    lines.push(`  ${t.table.padEnd(24)} ${why}`);
  }
  lines.push(
    `from ${opts.from ? `the file ${opts.from}` : `the topics ${topics.join(", ")}, earliest offsets up to the live group's`}, into ${out.tables.map((t) => t.shadow).join(", ")}`,
  );
  if (phase) lines.push(`a rebuild of these tables was recorded before: ${phase}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** The rebuild's progress: in projector_rebuilds (status, metrics) and on a TTY. */
class Progress {
  stats: Stats | undefined;
  private lastSaved = 0;
  private lastPrinted = 0;
  private behind: bigint | null = null;
  private phase = "building";

  constructor(
    private readonly sink: MysqlSink,
    private readonly plan: RebuildPlan,
    readonly group: string,
    readonly liveGroup: string,
    private readonly json: boolean,
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
    this.print();
  }

  /** After each batch: saved every 2 s, printed every 0.5 s on a TTY. */
  async tick(): Promise<void> {
    if (performance.now() - this.lastSaved > 2_000) await this.save(this.phase, this.behind);
    else this.print();
  }

  private print(): void {
    if (this.json || !process.stderr.isTTY || performance.now() - this.lastPrinted < 500) return;
    this.lastPrinted = performance.now();
    const s = this.stats?.summary();
    const rate = Number(s?.events_per_second ?? 0);
    const eta = this.behind !== null && rate > 0 ? `, ETA ${Math.ceil(Number(this.behind) / rate)} s` : "";
    process.stderr.write(
      `\r${this.phase}: ${s?.read ?? 0} events applied${this.behind !== null ? `, ${this.behind} behind the live tables` : ""}, ${rate} events/s${eta}   `,
    );
  }
}
