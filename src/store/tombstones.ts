import { TOMBSTONES } from "../compile/engine-tables.js";
import { type Dialect, onDuplicate, quoteId } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";

/**
 * The statements of projector_tombstones (its DDL: compile/engine-tables.ts): the hard-deleted rows
 * of guarded tables with the guard of their delete, written with the deletes and read by the
 * planner. Pure: `{sql, params}` with every value a parameter.
 */

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
