import type { CompiledTable } from "./compile.js";
import {
  COUNTERS,
  DEAD_LETTERS,
  FINGERPRINTS,
  META,
  OFFSETS,
  REBUILDS,
  TOMBSTONES,
} from "./engine-tables.js";
import { type Dialect, forShare, onDuplicate, placeholders, quoteId } from "./sql.js";
import type { Statement } from "./statements.js";

/**
 * The statements of the engine's own bookkeeping: offsets, dead letters, tombstones, the reads of
 * row state, and what `status` asks. Pure, like the row statements: `{sql, params}` with every value
 * a parameter; the sink only executes them.
 */

/** What a dead letter holds: an event that failed, or one whose updates found no row yet. */
export type LetterKind = "failed" | "unmatched";

/** A row of projector_dead_letters. */
export interface DeadLetter {
  readonly source: string;
  readonly position: string;
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
  readonly reason: string;
  readonly payload: Buffer | string;
  /** A Kafka record's key (null: none, or not from Kafka). */
  readonly recordKey: Buffer | string | null;
  readonly kind: LetterKind;
  /** False when the payload is not the whole record, or holds no event: it cannot be retried. */
  readonly retriable: boolean;
  /** The Kafka partition (-1: not from Kafka). */
  readonly partition: number;
  /** The Kafka offset or the line number: with the partition, the order the records came in. */
  readonly seq: string | number;
}

/** A row of projector_offsets: where a consumer group goes on in a partition. */
export interface OffsetRow {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume. */
  readonly next: string;
}

const offsets = quoteId(OFFSETS);

/** Locks the offset rows of these partitions for the transaction: `topic, partition_id, next_offset`. */
export function lockOffsetsStatement(
  group: string,
  partitions: readonly { topic: string; partition: number }[],
): Statement {
  return {
    sql: `SELECT topic, partition_id, next_offset FROM ${offsets} WHERE consumer_group = ? AND (topic, partition_id) IN (${partitions
      .map(() => "(?,?)")
      .join(",")}) FOR UPDATE`,
    params: [group, ...partitions.flatMap((p) => [p.topic, p.partition])],
  };
}

/** Raises the partitions' next offsets (never lowers one: a batch may hold records applied before). */
export function saveOffsetsStatement(rows: readonly OffsetRow[], dialect: Dialect): Statement {
  const params: unknown[] = [];
  for (const r of rows) params.push(r.group, r.topic, r.partition, r.next);
  const { clause, incoming, current } = onDuplicate(dialect, offsets);
  return {
    sql: `INSERT INTO ${offsets} (consumer_group, topic, partition_id, next_offset, updated_at) VALUES ${rows
      .map(() => "(?,?,?,?,UTC_TIMESTAMP(6))")
      .join(
        ",",
      )}${clause}updated_at = IF(${incoming("next_offset")} > ${current("next_offset")}, ${incoming("updated_at")}, ${current("updated_at")}), next_offset = GREATEST(${current("next_offset")}, ${incoming("next_offset")})`,
    params,
  };
}

/**
 * Moves a partition's offset from `from` to `to` only where it stands at `from` or past it (the
 * records before `from` were applied), never back: under the offset row's lock, like a batch.
 */
export function skipOffsetStatement(
  group: string,
  topic: string,
  partition: number,
  from: bigint,
  to: bigint,
  dialect: Dialect,
): Statement {
  const { clause, incoming, current } = onDuplicate(dialect, offsets);
  const moves = `${current("next_offset")} >= ? AND ${current("next_offset")} < ${incoming("next_offset")}`;
  return {
    sql: `INSERT INTO ${offsets} (consumer_group, topic, partition_id, next_offset, updated_at)
           VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))${clause}updated_at = IF(${moves}, ${incoming("updated_at")}, ${current("updated_at")}),
             next_offset = IF(${moves}, ${incoming("next_offset")}, ${current("next_offset")})`,
    params: [group, topic, partition, to.toString(), from.toString(), from.toString()],
  };
}

/** A group's stored offsets (`topic, partition_id, next_offset`), of one partition when given. */
export function selectOffsetsStatement(
  group: string,
  partition?: { topic: string; partition: number },
): Statement {
  return partition
    ? {
        sql: `SELECT topic, partition_id, next_offset FROM ${offsets} WHERE consumer_group = ? AND topic = ? AND partition_id = ?`,
        params: [group, partition.topic, partition.partition],
      }
    : {
        sql: `SELECT topic, partition_id, next_offset FROM ${offsets} WHERE consumer_group = ?`,
        params: [group],
      };
}

/** Forgets what a group applied (`run --from-beginning`). */
export function deleteOffsetsStatement(group: string): Statement {
  return { sql: `DELETE FROM ${offsets} WHERE consumer_group = ?`, params: [group] };
}

/**
 * One multi-row insert of dead letters. A letter at a position that has one already (a redelivered
 * record, or a retry that failed again) replaces its reason and payload and counts one more attempt.
 */
export function insertDeadLettersStatement(rows: readonly DeadLetter[], dialect: Dialect): Statement {
  const params: unknown[] = [];
  for (const r of rows)
    params.push(
      r.source,
      r.position,
      r.eventId ?? null,
      r.eventType ?? null,
      r.reason,
      r.payload,
      r.recordKey,
      r.kind,
      r.retriable,
      r.partition,
      String(r.seq),
    );
  const { clause, incoming, current } = onDuplicate(dialect, quoteId(DEAD_LETTERS));
  return {
    sql: `INSERT INTO ${quoteId(DEAD_LETTERS)} (source, position, event_id, event_type, reason, payload, record_key, kind, retriable, partition_id, seq, attempts, first_failed_at, failed_at) VALUES ${rows
      .map(() => "(?,?,?,?,?,?,?,?,?,?,?,1,UTC_TIMESTAMP(6),UTC_TIMESTAMP(6))")
      .join(
        ",",
      )}${clause}attempts = ${current("attempts")} + 1, first_failed_at = COALESCE(${current("first_failed_at")}, ${current("failed_at")}), event_id = ${incoming("event_id")}, event_type = ${incoming("event_type")}, reason = ${incoming("reason")}, payload = ${incoming("payload")}, record_key = ${incoming("record_key")}, kind = ${incoming("kind")}, retriable = ${incoming("retriable")}, partition_id = ${incoming("partition_id")}, seq = ${incoming("seq")}, failed_at = ${incoming("failed_at")}`,
    params,
  };
}

/** Which dead letters a `dead-letters` command acts on; every field narrows. */
export interface LetterFilter {
  readonly ids?: readonly string[];
  readonly eventType?: string;
  /** The source exactly: a topic, a file name, `stdin`. */
  readonly source?: string;
  /** Part of the reason (no wildcards: `%` and `_` are themselves). */
  readonly reason?: string;
  /** Last failed at or after this UTC time (`YYYY-MM-DD HH:MM:SS.ffffff`). */
  readonly since?: string;
  readonly kind?: LetterKind;
  /** Letters recorded up to this id: those recorded once a command began wait for the next one. */
  readonly maxId?: string;
}

/** The WHERE of a filter: conditions and their parameters (`1=1` for no filter). */
function letterWhere(f: LetterFilter): { sql: string; params: unknown[] } {
  const conds: string[] = [];
  const params: unknown[] = [];
  if (f.ids) {
    conds.push(f.ids.length === 0 ? "1=0" : `id IN (${f.ids.map(() => "?").join(",")})`);
    params.push(...f.ids);
  }
  if (f.eventType !== undefined) {
    conds.push("event_type = ?");
    params.push(f.eventType);
  }
  if (f.source !== undefined) {
    conds.push("source = ?");
    params.push(f.source);
  }
  if (f.reason !== undefined) {
    // '!' escapes: the same on both servers whatever NO_BACKSLASH_ESCAPES says.
    conds.push("reason LIKE ? ESCAPE '!'");
    params.push(`%${f.reason.replace(/[!%_]/g, (c) => `!${c}`)}%`);
  }
  if (f.since !== undefined) {
    conds.push("failed_at >= ?");
    params.push(f.since);
  }
  if (f.kind !== undefined) {
    conds.push("kind = ?");
    params.push(f.kind);
  }
  if (f.maxId !== undefined) {
    conds.push("id <= ?");
    params.push(f.maxId);
  }
  return { sql: conds.length ? conds.join(" AND ") : "1=1", params };
}

/** The columns of a letter as listed (no payload). */
const LETTER_COLUMNS =
  "id, source, position, event_id, event_type, kind, reason, retriable, attempts, COALESCE(first_failed_at, failed_at) first_failed_at, failed_at, LENGTH(payload) payload_bytes";

/** A page of matching letters in id order, after `afterId`: LETTER_COLUMNS, and the payload and key when asked. */
export function selectLettersStatement(
  f: LetterFilter,
  page: { afterId?: string | undefined; limit: number; payload?: boolean; forUpdate?: boolean },
): Statement {
  const w = letterWhere(f);
  return {
    sql: `SELECT ${LETTER_COLUMNS}${page.payload ? ", payload, record_key" : ""} FROM ${quoteId(DEAD_LETTERS)} WHERE ${w.sql} AND id > ? ORDER BY id LIMIT ${Math.floor(page.limit)}${page.forUpdate ? " FOR UPDATE" : ""}`,
    params: [...w.params, page.afterId ?? "0"],
  };
}

/** Where a retry goes on: after this letter, in the order the records came. */
export interface LetterCursor {
  readonly source: string;
  readonly partition: number;
  readonly seq: string;
  readonly id: string;
}

/**
 * The next retriable matching letters in the order their records came (per source, by partition
 * and offset or line), with their payload: LETTER_COLUMNS, payload, record_key, partition_id, seq.
 */
export function selectLettersToRetryStatement(
  f: LetterFilter,
  after: LetterCursor | undefined,
  limit: number,
): Statement {
  const w = letterWhere(f);
  const cursor = after ? " AND (source, partition_id, seq, id) > (?, ?, ?, ?)" : "";
  return {
    sql: `SELECT ${LETTER_COLUMNS}, payload, record_key, partition_id, seq FROM ${quoteId(DEAD_LETTERS)} WHERE ${w.sql} AND retriable = 1${cursor} ORDER BY source, partition_id, seq, id LIMIT ${Math.floor(limit)}`,
    params: after ? [...w.params, after.source, after.partition, after.seq, after.id] : w.params,
  };
}

/** Matching letters counted by kind, event type, reason and whether they can be retried: `kind, event_type, reason, retriable, n`. */
export function countLettersStatement(f: LetterFilter): Statement {
  const w = letterWhere(f);
  return {
    sql: `SELECT kind, event_type, reason, retriable, COUNT(*) n FROM ${quoteId(DEAD_LETTERS)} WHERE ${w.sql} GROUP BY kind, event_type, reason, retriable ORDER BY n DESC, kind, event_type`,
    params: w.params,
  };
}

/** The newest letter's id: `m` (0 when there is none). */
export function maxLetterIdStatement(): Statement {
  return { sql: `SELECT COALESCE(MAX(id), 0) m FROM ${quoteId(DEAD_LETTERS)}`, params: [] };
}

/** Deletes up to `limit` matching letters (the oldest first): a purge in bounded steps. */
export function deleteLettersStatement(f: LetterFilter, limit: number): Statement {
  const w = letterWhere(f);
  return {
    sql: `DELETE FROM ${quoteId(DEAD_LETTERS)} WHERE ${w.sql} ORDER BY id LIMIT ${Math.floor(limit)}`,
    params: w.params,
  };
}

/** Deletes the letters of records a retry applied. */
export function deleteLettersByIdStatement(ids: readonly string[]): Statement {
  return {
    sql: `DELETE FROM ${quoteId(DEAD_LETTERS)} WHERE id IN (${ids.map(() => "?").join(",")})`,
    params: [...ids],
  };
}

/** Letters by kind and event type: `kind, event_type, n` (status, metrics). */
export function lettersByTypeStatement(): Statement {
  return {
    sql: `SELECT kind, event_type, COUNT(*) n FROM ${quoteId(DEAD_LETTERS)} GROUP BY kind, event_type ORDER BY kind, event_type`,
    params: [],
  };
}

/**
 * Locks every consumer group's offset rows (and the gaps between them): a retry's transaction and
 * a run's batch, which locks its partitions' rows first, never overlap, so neither decides on rows
 * the other is writing.
 */
export function lockAllOffsetsStatement(): Statement {
  return { sql: `SELECT consumer_group FROM ${offsets} FOR UPDATE`, params: [] };
}

/** projector_meta's counter of retry transactions: a plan made before one is planned again. */
export const RETRY_EPOCH = "retry_epoch";

/** Counts one more retry transaction (in it). */
export function bumpRetryEpochStatement(): Statement {
  return {
    sql: `INSERT INTO ${quoteId(META)} (name, value) VALUES (?, '1') ON DUPLICATE KEY UPDATE value = CAST(CAST(value AS UNSIGNED) + 1 AS CHAR)`,
    params: [RETRY_EPOCH],
  };
}

/** The retry epoch: `value` (no row before the first retry). */
export function selectRetryEpochStatement(): Statement {
  return { sql: `SELECT value FROM ${quoteId(META)} WHERE name = ?`, params: [RETRY_EPOCH] };
}

/** The dead letters' fixed part of a row (all but reason and payload), for the packet arithmetic. */
export const DEAD_LETTER_ROW_OVERHEAD = 512;

/**
 * Records hard deletes: per row `[key_hash, table_name, row_key, guard]`. A later delete of the same
 * row (a newer guard: the planner saw to it) replaces the tombstone.
 */
export function tombstonesStatement(rows: readonly (readonly unknown[])[], dialect: Dialect): Statement {
  const { clause, incoming } = onDuplicate(dialect, quoteId(TOMBSTONES));
  return {
    sql: `INSERT INTO ${quoteId(TOMBSTONES)} (\`key_hash\`, \`table_name\`, \`row_key\`, \`guard\`) VALUES ${"(?,?,?,?),".repeat(rows.length - 1)}(?,?,?,?)${clause}\`table_name\` = ${incoming("`table_name`")}, \`row_key\` = ${incoming("`row_key`")}, \`guard\` = ${incoming("`guard`")}`,
    params: rows.flat(),
  };
}

/**
 * Which of these tables have tombstones: `table_name`, one row per table that has some. One index
 * probe per table (LIMIT 1), however many tombstones a table has.
 */
export function tombstoneTablesStatement(tables: readonly string[]): Statement {
  const one = `(SELECT table_name FROM ${quoteId(TOMBSTONES)} WHERE table_name = ? LIMIT 1)`;
  return { sql: tables.map(() => one).join(" UNION ALL "), params: [...tables] };
}

/** The tombstones of these key hashes: `key_hash, guard`. */
export function selectTombstonesStatement(hashes: readonly Buffer[]): Statement {
  return {
    sql: `SELECT key_hash, guard FROM ${quoteId(TOMBSTONES)} WHERE key_hash IN (${"?,".repeat(hashes.length - 1)}?)`,
    params: [...hashes],
  };
}

/**
 * The current state of rows the planner asks for: their key, guard and unique key columns, by
 * primary key tuples and by unique key tuples (`columns` in the order they are selected).
 */
export function selectRowsStatement(
  table: CompiledTable,
  uniqueColumns: readonly (readonly string[])[],
  byPrimary: readonly (readonly unknown[])[],
  byUnique: readonly { columns: readonly string[]; tuples: readonly (readonly unknown[])[] }[],
): Statement | undefined {
  const cols = new Set<string>([
    ...table.primaryKey,
    ...(table.guard ? [table.guard] : []),
    ...uniqueColumns.flat(),
  ]);
  const conds: string[] = [];
  const params: unknown[] = [];
  const inList = (columns: readonly string[], tuples: readonly (readonly unknown[])[]) => {
    if (tuples.length === 0) return;
    const lhs = columns.length === 1 ? quoteId(columns[0]!) : `(${columns.map(quoteId).join(",")})`;
    const one = columns.length === 1 ? "?" : placeholders(columns.length);
    conds.push(`${lhs} IN (${tuples.map(() => one).join(",")})`);
    for (const tuple of tuples) params.push(...tuple);
  };
  inList(table.primaryKey, byPrimary);
  for (const u of byUnique) inList(u.columns, u.tuples);
  if (conds.length === 0) return undefined;
  return {
    sql: `SELECT ${[...cols].map(quoteId).join(", ")} FROM ${table.quoted} WHERE ${conds.join(" OR ")}`,
    params,
  };
}

/** The tables of the current database: `t`. */
export function listTablesStatement(): Statement {
  return {
    sql: "SELECT TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()",
    params: [],
  };
}

/** The rows of a table: `n`. */
export function countRowsStatement(table: string): Statement {
  return { sql: `SELECT COUNT(*) n FROM ${quoteId(table)}`, params: [] };
}

/** Adds a batch's counts: rows `[scope, event_type, outcome, n]`. */
export function addCountersStatement(
  rows: readonly (readonly [string, string, string, number])[],
  dialect: Dialect,
): Statement {
  const { clause, incoming, current } = onDuplicate(dialect, quoteId(COUNTERS));
  return {
    sql: `INSERT INTO ${quoteId(COUNTERS)} (scope, event_type, outcome, events) VALUES ${"(?,?,?,?),".repeat(rows.length - 1)}(?,?,?,?)${clause}events = ${current("events")} + ${incoming("events")}`,
    params: rows.flat(),
  };
}

/** The counts of one scope: `event_type, outcome, events`. */
export function selectCountersStatement(scope: string): Statement {
  return {
    sql: `SELECT event_type, outcome, events FROM ${quoteId(COUNTERS)} WHERE scope = ? ORDER BY event_type, outcome`,
    params: [scope],
  };
}

/** The recorded version of every table: `table_name, fingerprint, version`. */
export function selectFingerprintsStatement(): Statement {
  return { sql: `SELECT table_name, fingerprint, version FROM ${quoteId(FINGERPRINTS)}`, params: [] };
}

/** Records the versions tables are built with (replacing what was recorded). */
export function saveFingerprintsStatement(
  rows: readonly { table: string; fingerprint: string; json: string }[],
  dialect: Dialect,
): Statement {
  const { clause, incoming } = onDuplicate(dialect, quoteId(FINGERPRINTS));
  return {
    sql: `INSERT INTO ${quoteId(FINGERPRINTS)} (table_name, fingerprint, version, recorded_at) VALUES ${rows
      .map(() => "(?,?,?,UTC_TIMESTAMP(6))")
      .join(
        ",",
      )}${clause}fingerprint = ${incoming("fingerprint")}, version = ${incoming("version")}, recorded_at = ${incoming("recorded_at")}`,
    params: rows.flatMap((r) => [r.table, r.fingerprint, r.json]),
  };
}

/**
 * projector_meta's specs generation: moved by a rebuild's swap. A run's batch reads it under a
 * shared lock (the swap holds it exclusively meanwhile) and stops when it moved since the run began.
 */
export const SPECS_GENERATION = "specs_generation";

/** Makes sure the generation row exists (a lock on a missing row would fence nothing). */
export function ensureGenerationStatement(): Statement {
  return {
    sql: `INSERT INTO ${quoteId(META)} (name, value) VALUES (?, '0') ON DUPLICATE KEY UPDATE name = name`,
    params: [SPECS_GENERATION],
  };
}

/** The generation under a shared lock (a run's batch) or an exclusive one (a swap): `value`. */
export function lockGenerationStatement(mode: "shared" | "exclusive", dialect: Dialect): Statement {
  return {
    sql: `SELECT value FROM ${quoteId(META)} WHERE name = ? ${mode === "shared" ? forShare(dialect) : "FOR UPDATE"}`,
    params: [SPECS_GENERATION],
  };
}

/** The generation as committed: `value`. */
export function selectGenerationStatement(): Statement {
  return { sql: `SELECT value FROM ${quoteId(META)} WHERE name = ?`, params: [SPECS_GENERATION] };
}

/** Moves the generation on (in the swap's transaction). */
export function bumpGenerationStatement(): Statement {
  return {
    sql: `UPDATE ${quoteId(META)} SET value = CAST(CAST(value AS UNSIGNED) + 1 AS CHAR) WHERE name = ?`,
    params: [SPECS_GENERATION],
  };
}

/** A row of projector_rebuilds. */
export interface RebuildRow {
  readonly name: string;
  readonly tables: readonly string[];
  readonly fingerprint: string;
  readonly group: string;
  readonly phase: string;
  readonly applied: number;
  readonly behind: number | null;
}

/** Records a rebuild's progress (its first row sets started_at). */
export function saveRebuildStatement(r: RebuildRow, dialect: Dialect): Statement {
  const { clause, incoming, current } = onDuplicate(dialect, quoteId(REBUILDS));
  return {
    sql: `INSERT INTO ${quoteId(REBUILDS)} (name, tables_json, fingerprint, consumer_group, phase, applied, behind, started_at, updated_at) VALUES (?,?,?,?,?,?,?,UTC_TIMESTAMP(6),UTC_TIMESTAMP(6))${clause}tables_json = ${incoming("tables_json")}, started_at = IF(${current("fingerprint")} = ${incoming("fingerprint")}, ${current("started_at")}, ${incoming("started_at")}), fingerprint = ${incoming("fingerprint")}, consumer_group = ${incoming("consumer_group")}, phase = ${incoming("phase")}, applied = ${incoming("applied")}, behind = ${incoming("behind")}, updated_at = ${incoming("updated_at")}`,
    params: [r.name, JSON.stringify(r.tables), r.fingerprint, r.group, r.phase, r.applied, r.behind],
  };
}

/** Every rebuild recorded: `name, tables_json, fingerprint, consumer_group, phase, applied, behind, started_at, updated_at`. */
export function selectRebuildsStatement(): Statement {
  return {
    sql: `SELECT name, tables_json, fingerprint, consumer_group, phase, applied, behind, started_at, updated_at FROM ${quoteId(REBUILDS)} ORDER BY name`,
    params: [],
  };
}
