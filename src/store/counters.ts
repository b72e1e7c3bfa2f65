import { COUNTERS } from "../compile/engine-tables.js";
import { type Dialect, onDuplicate, quoteId } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";

/**
 * The statements of projector_counters (its DDL: compile/engine-tables.ts): events by type and
 * outcome per scope, added in each batch's transaction, read by status and the metrics. Pure:
 * `{sql, params}` with every value a parameter.
 */

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
