import { OFFSETS } from "../compile/engine-tables.js";
import { type Dialect, onDuplicate, quoteId } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";

/**
 * The statements of projector_offsets (its DDL: compile/engine-tables.ts): where each consumer
 * group goes on in each partition, locked and saved in the batch's transaction. Pure: `{sql,
 * params}` with every value a parameter; the sink only executes them.
 */

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
 * Locks every consumer group's offset rows (and the gaps between them): a retry's transaction and
 * a run's batch, which locks its partitions' rows first, never overlap, so neither decides on rows
 * the other is writing.
 */
export function lockAllOffsetsStatement(): Statement {
  return { sql: `SELECT consumer_group FROM ${offsets} FOR UPDATE`, params: [] };
}
