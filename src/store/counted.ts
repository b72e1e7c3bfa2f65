import { quoteId } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";

/**
 * The statements of a counted table's `<table>__counted` (its DDL: compile/engine-tables.ts,
 * countedTableSpec): the events its counters counted, by the hash of their identity. Pure:
 * `{sql, params}` with every value a parameter; `quoted` is the table's quoted name, as compiled.
 */

/** Which of these hashes were counted: `op_hash`. */
export function selectCountedStatement(quoted: string, hashes: readonly Buffer[]): Statement {
  return {
    sql: `SELECT op_hash FROM ${quoted} WHERE op_hash IN (${"?,".repeat(hashes.length - 1)}?)`,
    params: [...hashes],
  };
}

/** Records counted ops (the planner counted each once: a duplicate would be a bug, and fails). */
export function insertCountedStatement(quoted: string, hashes: readonly Buffer[]): Statement {
  return {
    sql: `INSERT INTO ${quoted} (${quoteId("op_hash")}) VALUES ${"(?),".repeat(hashes.length - 1)}(?)`,
    params: [...hashes],
  };
}
