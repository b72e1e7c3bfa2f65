import type { CompiledTable } from "./compile.js";
import { placeholders, quoteId } from "./sql.js";
import type { Statement } from "./statements.js";

/**
 * Reads of the user's tables and of the catalogue: the rows the planner asks for, the tables of
 * the database, a table's row count. Pure: `{sql, params}` with every value a parameter.
 */

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
    ...(table.spec.guardGroups ?? []).map((g) => g.guard),
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
