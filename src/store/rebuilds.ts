import { REBUILDS } from "../compile/engine-tables.js";
import { type Dialect, onDuplicate, quoteId } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";

/**
 * The statements of projector_rebuilds (its DDL: compile/engine-tables.ts): each `projector
 * rebuild` under way or done, its tables, consumer group and progress. Pure: `{sql, params}` with
 * every value a parameter.
 */

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
