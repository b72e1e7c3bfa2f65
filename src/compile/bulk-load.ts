import type { KeySpec, TableSpec } from "../specs/types.js";
import { quoteId } from "./sql.js";
import type { Statement } from "./statements.js";

/**
 * A bulk load into empty tables (a large replay, a rebuild's shadows) builds their secondary indexes
 * once at the end instead of row by row: InnoDB then sorts each index once, where inserting into it
 * row by row touches a random page of it per row, which stops being cheap once the indexes outgrow
 * the buffer pool. Only the indexes projector never looks rows up by are deferred; the primary key,
 * the unique keys (upserts, guards and unique lookups read them) and an index on the parent key (the
 * replace's DELETE, the aggregates and the foreign key use it) stay.
 */

/** The table's `indexes:` that no statement of projector looks rows up by. */
export function deferrableIndexes(table: TableSpec): readonly KeySpec[] {
  const parentFirst = table.parent?.columns[0];
  return table.indexes.filter((i) => parentFirst === undefined || i.columns[0] !== parentFirst);
}

/** `ALTER TABLE t DROP INDEX a, DROP INDEX b`: before the load (instant on an empty table). */
export function dropIndexesSql(table: string, indexes: readonly KeySpec[]): string {
  return `ALTER TABLE ${quoteId(table)} ${indexes.map((i) => `DROP INDEX ${quoteId(i.name)}`).join(", ")}`;
}

/** `ALTER TABLE t ADD KEY a (…), ADD KEY b (…)`: after the load, every index in one pass over the rows. */
export function addIndexesSql(table: string, indexes: readonly KeySpec[]): string {
  const keys = indexes.map((i) => `ADD KEY ${quoteId(i.name)} (${i.columns.map(quoteId).join(", ")})`);
  return `ALTER TABLE ${quoteId(table)} ${keys.join(", ")}`;
}

/** Which of the tables hold no row: one column `e<i>` per table, 1 when it is empty. */
export function emptyTablesStatement(tables: readonly string[]): Statement {
  const probes = tables.map(
    (t, i) => `(SELECT COUNT(*) = 0 FROM (SELECT 1 FROM ${quoteId(t)} LIMIT 1) AS x${i}) AS e${i}`,
  );
  return { sql: `SELECT ${probes.join(", ")}`, params: [] };
}

/** The index names of these tables, as the catalogue has them: `t`, `i`. */
export function tableIndexesStatement(tables: readonly string[]): Statement {
  return {
    sql: `SELECT TABLE_NAME t, INDEX_NAME i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${tables.map(() => "?").join(",")})`,
    params: [...tables],
  };
}

/**
 * The session's wait for a table's metadata lock: the build's ALTER TABLE gives up after it rather
 * than hold every write to the table behind it while a long query reads it (it is tried again).
 */
export function lockWaitTimeoutSql(seconds: number): string {
  return `SET SESSION lock_wait_timeout = ${Math.max(1, Math.floor(seconds))}`;
}
