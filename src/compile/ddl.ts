import type { ColumnSpec, ColumnType, GeneratedToken, Scalar, Spec, TableSpec } from "../specs/types.js";
import { CoerceFailure, coercerFor } from "../values/coerce.js";
import { type Dialect, quoteId } from "./sql.js";

/** Tables sorted so that every parent comes before its children (then by name: output is stable). */
export function orderTables(spec: Spec): TableSpec[] {
  const out: TableSpec[] = [];
  const done = new Set<string>();
  const visit = (t: TableSpec) => {
    if (done.has(t.name)) return;
    done.add(t.name);
    const parent = t.parent && spec.tables.get(t.parent.table);
    if (parent) visit(parent);
    out.push(t);
  };
  [...spec.tables.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).forEach(visit);
  return out;
}

/** A DDL literal for a validated default (strings escaped the MySQL way). */
export function sqlLiteral(value: Scalar): string {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number") return String(value);
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/**
 * Columns that identify rows: the primary key, unique keys, the parent key. Their text is compared
 * exactly (keyCollation), as the runtime compares keys and as MongoDB compares ids and unique
 * fields: under the table's `utf8mb4_unicode_ci`, `ORD-X` and `ord-x` would be one row to MySQL and
 * two to the planner, and one event would overwrite another's row; under a PAD SPACE collation
 * (`utf8mb4_bin` too), `GONE` and `GONE ` would be one row.
 */
export function keyColumns(table: TableSpec): Set<string> {
  return new Set([
    ...table.primaryKey,
    ...table.uniques.flatMap((u) => u.columns),
    ...(table.parent?.columns ?? []),
  ]);
}

export { DIALECTS, type Dialect } from "./sql.js";

/**
 * The collation of a key column's text, per server: binary and NO PAD, so that every byte counts,
 * trailing spaces too (MariaDB's `utf8mb4_bin` and MySQL's `utf8mb4_bin` are PAD SPACE: `a` = `a `).
 * Other columns keep the table's collation.
 */
export function keyCollation(dialect: Dialect): string {
  return dialect === "mysql" ? "utf8mb4_0900_bin" : "utf8mb4_nopad_bin";
}

/** The dialect of a server, from its `SELECT VERSION()` (MariaDB says so; anything else is MySQL 8). */
export function dialectOf(version: string): Dialect {
  return /mariadb/i.test(version) ? "mariadb" : "mysql";
}

/** Every table's default collation (the same name on both servers). */
export const TABLE_COLLATION = "utf8mb4_unicode_ci";

/** The statement creating the database (its default is every table's). */
export function createDatabaseSql(name: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteId(name)} CHARACTER SET utf8mb4 COLLATE ${TABLE_COLLATION}`;
}

/** Makes a database the session's default (printed by a dry run, for piping into a client). */
export function useDatabaseSql(name: string): string {
  return `USE ${quoteId(name)}`;
}

/** Text columns: the only ones a collation applies to. */
export function isText(type: ColumnType): type is Extract<ColumnType, { name: "varchar" | "char" }> {
  return type.name === "varchar" || type.name === "char";
}

/**
 * A generated column's expression as SQL: its columns quoted, its string literals escaped, its
 * functions and operators as parsed (specs/generated.ts allows only safe ones).
 */
export function generatedSql(tokens: readonly GeneratedToken[]): string {
  let out = "";
  let prev: GeneratedToken | undefined;
  for (const t of tokens) {
    const text = t.kind === "column" ? quoteId(t.name) : t.kind === "string" ? sqlLiteral(t.text) : t.text;
    const tight =
      prev === undefined ||
      (prev.kind === "paren" && prev.text === "(") ||
      (t.kind === "paren" && t.text === ")") ||
      t.kind === "comma" ||
      (prev.kind === "function" && t.kind === "paren");
    out += tight ? text : ` ${text}`;
    prev = t;
  }
  return out;
}

/** A column's definition; `collation` (text columns only) when not the table's. */
export function columnDefinition(col: ColumnSpec, collation?: string): string {
  if (col.generated) {
    // MariaDB takes no NULL / NOT NULL on a generated column (MySQL's are optional): none is written.
    const kind = col.generated.stored ? "STORED" : "VIRTUAL";
    const comment = col.comment === undefined ? "" : ` COMMENT ${sqlLiteral(col.comment)}`;
    return `${quoteId(col.name)} ${ddlType(col.type)} GENERATED ALWAYS AS (${generatedSql(col.generated.tokens)}) ${kind}${comment}`;
  }
  const collate = isText(col.type) && collation && /^\w+$/.test(collation) ? ` COLLATE ${collation}` : "";
  let def = `${quoteId(col.name)} ${ddlType(col.type)}${collate} ${col.nullable ? "NULL" : "NOT NULL"}`;
  if (col.autoIncrement) def += " AUTO_INCREMENT";
  const stored = storedDefault(col);
  if (stored !== undefined) def += ` DEFAULT ${sqlLiteral(stored)}`;
  if (col.comment !== undefined) def += ` COMMENT ${sqlLiteral(col.comment)}`;
  return def;
}

/**
 * A column's default as the database stores it (an ISO timestamp in UTC, a decimal at its scale, a
 * boolean as 0/1), or undefined when it has no DEFAULT clause.
 */
export function storedDefault(col: ColumnSpec): Scalar | undefined {
  if (col.default === undefined || col.default === null) return col.default;
  const stored = coercerFor(col.type)(col.default);
  return stored instanceof CoerceFailure ? col.default : (stored as Scalar);
}

export function foreignKeyName(table: TableSpec): string {
  return `fk_${table.name}_${table.parent!.table}`.slice(0, 64);
}

/** A child table's foreign key to its parent's key (`CONSTRAINT … ON DELETE CASCADE`). */
export function foreignKeySql(
  table: TableSpec,
  parentKey: readonly string[],
  name = foreignKeyName(table),
): string {
  const parent = table.parent!;
  const cols = (cs: readonly string[]) => cs.map(quoteId).join(", ");
  return `CONSTRAINT ${quoteId(name)} FOREIGN KEY (${cols(parent.columns)}) REFERENCES ${quoteId(parent.table)} (${cols(parentKey)}) ON DELETE CASCADE`;
}

/**
 * Where a table is built when it is not under its own name: a rebuild's shadow table, its parent's
 * (a shadow too, or the live one) and the name of its foreign key (unique in the database).
 */
export interface PhysicalTable {
  readonly name: string;
  readonly parent?: string;
  readonly foreignKey?: string;
}

/** `CREATE TABLE IF NOT EXISTS` with types, keys (in the dialect's key collation), indexes and the parent foreign key. */
export function createTableSql(
  table: TableSpec,
  parent: TableSpec | undefined,
  dialect: Dialect,
  physical?: PhysicalTable,
): string {
  const keys = keyColumns(table);
  const key = keyCollation(dialect);
  const lines = [...table.columns.values()].map((c) =>
    columnDefinition(c, keys.has(c.name) ? key : undefined),
  );
  const cols = (cs: readonly string[]) => cs.map(quoteId).join(", ");
  lines.push(`PRIMARY KEY (${cols(table.primaryKey)})`);
  for (const u of table.uniques) lines.push(`UNIQUE KEY ${quoteId(u.name)} (${cols(u.columns)})`);
  for (const i of table.indexes) lines.push(`KEY ${quoteId(i.name)} (${cols(i.columns)})`);
  if (table.parent && parent) {
    const built = physical?.parent
      ? { ...table, parent: { ...table.parent, table: physical.parent } }
      : table;
    lines.push(foreignKeySql(built, parent.primaryKey, physical?.foreignKey));
  }
  const comment = table.comment === undefined ? "" : ` COMMENT=${sqlLiteral(table.comment)}`;
  return `CREATE TABLE IF NOT EXISTS ${quoteId(physical?.name ?? table.name)} (\n  ${lines.join(",\n  ")}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${TABLE_COLLATION}${comment}`;
}

/**
 * A column's type in CREATE and ALTER statements: sqlType's, but a boolean is `BOOLEAN` (the same
 * `tinyint(1)` on both servers, without the display width MySQL 8 warns about: 1681).
 */
export function ddlType(type: ColumnType): string {
  return type.name === "boolean" ? "BOOLEAN" : sqlType(type);
}

/** The SQL spelling of a type in DDL. */
export function sqlType(type: ColumnType): string {
  switch (type.name) {
    case "varchar":
      return `VARCHAR(${type.length})`;
    case "char":
      return `CHAR(${type.length})`;
    case "binary":
      return `BINARY(${type.length})`;
    case "decimal":
      return `DECIMAL(${type.precision},${type.scale})`;
    case "datetime":
      return type.fsp > 0 ? `DATETIME(${type.fsp})` : "DATETIME";
    case "boolean":
      return "TINYINT(1)";
    case "enum":
      return `ENUM(${type.values.map((v) => `'${v}'`).join(",")})`;
    default:
      return type.name.toUpperCase();
  }
}
