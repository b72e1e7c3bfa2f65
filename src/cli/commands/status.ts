import { COUNTERS, DEAD_LETTERS, META, OFFSETS, TOMBSTONES } from "../../compile/engine-tables.js";
import { META_QUERY } from "../../compile/migration.js";
import { countRowsStatement, listTablesStatement } from "../../compile/reads.js";
import { log } from "../../core/log.js";
import { partitionKey } from "../../core/source-record.js";
import { forTerminal, jsonText } from "../../core/terminal.js";
import { UserError } from "../../core/user-error.js";
import { mysqlUrl, openSink } from "../../jobs/database.js";
import { kafkaUserError } from "../../jobs/kafka-errors.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { rebuildHint, rebuilds, specsGeneration, type TableState, tableStates } from "../../jobs/versions.js";
import { OffsetsStore } from "../../run/offsets.js";
import { createKafka, kafkaSettings } from "../../source/kafka/config.js";
import { lagEvents } from "../../source/kafka/lag.js";
import { watermarks } from "../../source/kafka/topics.js";
import { selectCountersStatement } from "../../store/counters.js";
import { countLettersStatement } from "../../store/dead-letters.js";
import { watchStatus } from "../status-watch.js";
import { PURGE_SCOPE, RETRY_SCOPE } from "./dead-letters.js";

interface PartitionStatus {
  topic: string;
  partition: number;
  next_offset: string | null;
  high_watermark: string | null;
  lag: number | null;
}

/** The shortest --interval of --watch, in seconds. */
const MIN_INTERVAL = 0.2;

/** `--interval`: seconds, at least MIN_INTERVAL. */
export function intervalOption(raw: string | undefined): number {
  const n = Number(raw ?? "2");
  if (raw?.trim() === "" || !Number.isFinite(n) || n < MIN_INTERVAL)
    throw new UserError(
      `--interval must be a number of seconds, at least ${MIN_INTERVAL}, got ${JSON.stringify(raw)}`,
    );
  return n;
}

/**
 * `projector status [--json] [--watch [--interval S]]`: lag from MySQL's offsets against the
 * broker's high watermarks, dead letters, rows; with --watch, a live view until Ctrl-C.
 */
export async function statusCommand(
  dir: string,
  opts: {
    mysqlUrl?: string;
    brokers?: string;
    group?: string;
    json?: boolean;
    watch?: boolean;
    interval?: string;
  },
): Promise<number> {
  const interval = opts.watch ? intervalOption(opts.interval) : 0;
  if (opts.watch && opts.json)
    throw new UserError(
      "--watch draws a view for a person: for a program, run projector status --json at the pace it needs, or scrape run --metrics-port",
    );
  const compiled = loadCompiled(dir);
  const settings = kafkaSettings({
    ...(opts.brokers ? { brokers: opts.brokers } : {}),
    ...(opts.group ? { groupId: opts.group } : {}),
  });
  const sink = await openSink(mysqlUrl(opts.mysqlUrl));
  if (opts.watch) {
    try {
      return await watchStatus(sink, compiled, settings, interval);
    } finally {
      await sink.close();
    }
  }
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
  if (opts.json) {
    process.stdout.write(`${jsonText(status)}\n`);
  } else {
    const w = Math.max(16, ...partitions.map((p) => forTerminal(p.topic).length));
    const out = [
      `group ${forTerminal(status.group)} on database ${forTerminal(status.database)}`,
      `dialect: ${dialect ?? "not migrated yet"}${keyCollation ? ` (key columns compare with ${keyCollation})` : ""}`,
      `total lag: ${totalLag ?? "unknown (Kafka unreachable)"} events`,
      `${"topic".padEnd(w)} partition  next offset  high watermark  lag`,
    ];
    for (const p of partitions) {
      out.push(
        `${forTerminal(p.topic).padEnd(w)} ${String(p.partition).padStart(9)}  ${String(p.next_offset ?? "-").padStart(11)}  ${String(p.high_watermark ?? "?").padStart(14)}  ${p.lag ?? "?"}`,
      );
    }
    out.push(
      `dead letters: ${deadLetters ?? "no table yet (run projector migrate)"} failed, ${unmatchedLetters ?? 0} unmatched updates kept (projector dead-letters list)`,
      ...letterReasons.map(
        (r) =>
          `  ${String(r.letters).padStart(7)}  ${forTerminal(r.kind).padEnd(9)} ${forTerminal(r.event_type ?? "(undecodable)").padEnd(28)} ${forTerminal(r.reason.replace(/\s+/g, " ").slice(0, 160))}`,
      ),
      `tombstones (hard-deleted rows kept out): ${tombstones ?? "no table yet"}`,
    );
    const columns = [
      "applied",
      "stale",
      "filtered",
      "filtered_actions",
      "dead_lettered",
      "unmatched_kept",
      "missing_skipped",
      "skipped",
    ];
    for (const [scope, byType] of Object.entries(counters)) {
      const title =
        scope === "replay"
          ? "events replayed from files"
          : scope === RETRY_SCOPE
            ? "dead letters retried"
            : scope === PURGE_SCOPE
              ? "dead letters purged"
              : `events of group ${scope}`;
      out.push(`${title}:`);
      const shown = scope === PURGE_SCOPE ? ["purged"] : columns;
      const w2 = Math.max(24, ...Object.keys(byType).map((t) => forTerminal(t).length));
      out.push(
        `  ${"event type".padEnd(w2)} ${shown.map((c) => c.padStart(Math.max(c.length, 8))).join(" ")}`,
      );
      for (const [type, c] of Object.entries(byType))
        out.push(
          `  ${forTerminal(type).padEnd(w2)} ${shown.map((k) => String(c[k] ?? 0).padStart(Math.max(k.length, 8))).join(" ")}`,
        );
    }
    out.push("rows per table (and their rows against the specs on disk):");
    const stateOf = new Map(states.map((v) => [v.table, v]));
    for (const [t, n] of Object.entries(rows)) {
      const v = stateOf.get(t);
      const note =
        v?.state === "rebuild"
          ? `needs a rebuild: ${v.reasons.join("; ")}`
          : v?.state === "additive"
            ? `migrate is enough: ${v.reasons.join("; ")}`
            : (v?.state ?? "no version recorded");
      out.push(`  ${forTerminal(t).padEnd(24)} ${String(n ?? "missing").padStart(9)}  ${forTerminal(note)}`);
    }
    if (status.needs_rebuild.length > 0)
      out.push(`to rebuild them while live runs go on: ${forTerminal(rebuildHint(states))}`);
    if (rebuildRows.length > 0) out.push(`rebuilds (specs generation ${generation ?? "0"}):`);
    for (const r of rebuildRows)
      out.push(
        `  ${forTerminal(r.tables.join(", "))}: ${forTerminal(r.phase)}, ${r.applied} events applied${r.behind !== null ? `, ${r.behind} behind the live tables` : ""} (started ${r.startedAt}, updated ${r.updatedAt})`,
      );
    // Reasons, types and topics are data: each line's control characters escaped.
    process.stdout.write(`${out.map((l) => forTerminal(l)).join("\n")}\n`);
  }
  // What MySQL said is printed; a broker that could not be asked is still a failure (exit 2, or 1 for refused credentials).
  return kafkaExit;
}
