import { DEAD_LETTERS } from "../compile/engine-tables.js";
import { type Dialect, onDuplicate, quoteId } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";

/**
 * The statements of projector_dead_letters (its DDL: compile/engine-tables.ts): the events that
 * failed and those applied but for updates that found no row yet, written in the batch's
 * transaction, listed, retried and purged by `dead-letters`, counted by status and the metrics
 * (reason classes: letter-classes.ts). Pure, like every statement: `{sql, params}` with every value
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

/** The columns a letter is applied again from: its record, and where it came from. */
const RECORD_COLUMNS = "id, source, position, payload, record_key, partition_id, seq";

/** Waiting letters (kind unmatched, retriable) after `afterId`, in id order: RECORD_COLUMNS. */
export function selectWaitingLettersStatement(afterId: string, limit: number): Statement {
  return {
    sql: `SELECT ${RECORD_COLUMNS} FROM ${quoteId(DEAD_LETTERS)} WHERE kind = 'unmatched' AND retriable = 1 AND id > ? ORDER BY id LIMIT ${Math.floor(limit)}`,
    params: [afterId],
  };
}

/** The waiting letters at these places (`[source, position]`) that still wait: RECORD_COLUMNS. */
export function selectWaitingLettersToHealStatement(
  places: readonly (readonly [string, string])[],
): Statement {
  return {
    sql: `SELECT ${RECORD_COLUMNS} FROM ${quoteId(DEAD_LETTERS)} WHERE (source, position) IN (${places.map(() => "(?,?)").join(",")}) AND kind = 'unmatched' AND retriable = 1`,
    params: places.flat(),
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

/** The dead letters' fixed part of a row (all but reason and payload), for the packet arithmetic. */
export const DEAD_LETTER_ROW_OVERHEAD = 512;
