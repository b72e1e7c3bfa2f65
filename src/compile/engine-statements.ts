import type { CompiledTable } from "./compile.js";
import { COUNTERS, DEAD_LETTERS, OFFSETS, TOMBSTONES } from "./engine-tables.js";
import { placeholders, quoteId } from "./sql.js";
import type { Statement } from "./statements.js";

/**
 * The statements of the engine's own bookkeeping: offsets, dead letters, tombstones, the reads of
 * row state, and what `status` asks. Pure, like the row statements: `{sql, params}` with every value
 * a parameter; the sink only executes them.
 */

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
export function saveOffsetsStatement(rows: readonly OffsetRow[]): Statement {
  const params: unknown[] = [];
  for (const r of rows) params.push(r.group, r.topic, r.partition, r.next);
  return {
    sql: `INSERT INTO ${offsets} (consumer_group, topic, partition_id, next_offset, updated_at) VALUES ${rows
      .map(() => "(?,?,?,?,UTC_TIMESTAMP(6))")
      .join(
        ",",
      )} ON DUPLICATE KEY UPDATE updated_at = IF(VALUES(next_offset) > next_offset, VALUES(updated_at), updated_at), next_offset = GREATEST(next_offset, VALUES(next_offset))`,
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
): Statement {
  return {
    sql: `INSERT INTO ${offsets} (consumer_group, topic, partition_id, next_offset, updated_at)
           VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))
           ON DUPLICATE KEY UPDATE updated_at = IF(next_offset >= ? AND next_offset < VALUES(next_offset), VALUES(updated_at), updated_at),
             next_offset = IF(next_offset >= ? AND next_offset < VALUES(next_offset), VALUES(next_offset), next_offset)`,
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

/** One multi-row insert of dead letters; a redelivered record's letter replaces the earlier one. */
export function insertDeadLettersStatement(rows: readonly DeadLetter[]): Statement {
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
    );
  return {
    sql: `INSERT INTO ${quoteId(DEAD_LETTERS)} (source, position, event_id, event_type, reason, payload, record_key, failed_at) VALUES ${rows
      .map(() => "(?,?,?,?,?,?,?,UTC_TIMESTAMP(6))")
      .join(
        ",",
      )} ON DUPLICATE KEY UPDATE event_id = VALUES(event_id), event_type = VALUES(event_type), reason = VALUES(reason), payload = VALUES(payload), record_key = VALUES(record_key), failed_at = VALUES(failed_at)`,
    params,
  };
}

/** The dead letters' fixed part of a row (all but reason and payload), for the packet arithmetic. */
export const DEAD_LETTER_ROW_OVERHEAD = 512;

/**
 * Records hard deletes: per row `[key_hash, table_name, row_key, guard]`. A later delete of the same
 * row (a newer guard: the planner saw to it) replaces the tombstone.
 */
export function tombstonesStatement(rows: readonly (readonly unknown[])[]): Statement {
  return {
    sql: `INSERT INTO ${quoteId(TOMBSTONES)} (\`key_hash\`, \`table_name\`, \`row_key\`, \`guard\`) VALUES ${"(?,?,?,?),".repeat(rows.length - 1)}(?,?,?,?) ON DUPLICATE KEY UPDATE \`table_name\` = VALUES(\`table_name\`), \`row_key\` = VALUES(\`row_key\`), \`guard\` = VALUES(\`guard\`)`,
    params: rows.flat(),
  };
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
): Statement {
  return {
    sql: `INSERT INTO ${quoteId(COUNTERS)} (scope, event_type, outcome, events) VALUES ${"(?,?,?,?),".repeat(rows.length - 1)}(?,?,?,?) ON DUPLICATE KEY UPDATE events = events + VALUES(events)`,
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
