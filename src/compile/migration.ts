import type { CompiledSpec } from "./compile.js";
import {
  columnDefinition,
  createTableSql,
  type Dialect,
  dialectOf,
  foreignKeySql,
  isText,
  keyCollation,
  keyColumns,
  sqlType,
  TABLE_COLLATION,
} from "./ddl.js";
import { META } from "./engine-tables.js";
import { onDuplicate, quoteId } from "./sql.js";
import type { Statement } from "./statements.js";

export interface Migration {
  /** Statements to run, in order. */
  readonly statements: readonly string[];
  /** Differences migrate will not fix by itself (it never drops or narrows). */
  readonly warnings: readonly string[];
  /** What the statements do that a user should know (key columns converted). */
  readonly notes: readonly string[];
}

interface DbColumn {
  type: string;
  dataType: string;
  length: number | null;
  nullable: boolean;
  collation: string | null;
  /** A generated column (EXTRA says VIRTUAL or STORED GENERATED, on MariaDB and MySQL alike). */
  generated: boolean;
}

type CatalogRow = Record<string, unknown>;

/**
 * What migrate reads of the database's catalogue, in one round trip: the server's version, the
 * columns, the foreign keys, the index columns of the current database. Their rows, in this order,
 * are diffSchema's input (with projector_meta's, read when the table exists).
 */
export const CATALOG_QUERIES: readonly Statement[] = [
  { sql: "SELECT VERSION() AS v", params: [] },
  {
    sql: "SELECT TABLE_NAME t, COLUMN_NAME c, COLUMN_TYPE ct, DATA_TYPE dt, CHARACTER_MAXIMUM_LENGTH len, IS_NULLABLE n, COLLATION_NAME coll, EXTRA x FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
    params: [],
  },
  {
    sql: "SELECT TABLE_NAME t, REFERENCED_TABLE_NAME p, CONSTRAINT_NAME n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
    params: [],
  },
  {
    sql: "SELECT TABLE_NAME t, INDEX_NAME i, COLUMN_NAME c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
    params: [],
  },
];

/** projector_meta's rows: `name, value`. */
export const META_QUERY: Statement = { sql: `SELECT name, value FROM ${quoteId(META)}`, params: [] };

/** What migrate knows of the database: the catalogue's rows, the recorded settings, the server's dialect. */
export interface DatabaseState {
  readonly catalog: readonly (readonly CatalogRow[])[];
  /** projector_meta: name → value (empty when the table does not exist yet). */
  readonly meta: ReadonlyMap<string, string>;
}

/** The server's version and dialect, from the catalogue's first row. */
export function serverOf(state: DatabaseState): { version: string; dialect: Dialect } {
  const version = String(state.catalog[0]?.[0]?.v ?? "");
  return { version, dialect: dialectOf(version) };
}

/**
 * Compares the database with the compiled specs: creates missing tables (engine tables too), adds
 * missing columns and indexes, widens VARCHAR/CHAR columns the spec made longer, converts key
 * columns to the server's exact key collation, and records the dialect it chose. Never drops or
 * narrows. Pure: the caller reads the state and runs the statements.
 */
export function diffSchema(state: DatabaseState, compiled: CompiledSpec): Migration {
  const [, cols = [], fks = [], idx = []] = state.catalog;
  const { dialect } = serverOf(state);
  const key = keyCollation(dialect);
  /** child\0parent → the foreign key's name in the database. */
  const parentsInDb = new Map(fks.map((r) => [`${r.t}\u0000${r.p}`, String(r.n)]));
  const primaryKeys = new Map<string, string[]>();
  for (const r of idx) {
    const t = String(r.t);
    if (r.i === "PRIMARY") primaryKeys.set(t, [...(primaryKeys.get(t) ?? []), String(r.c).toLowerCase()]);
  }
  const tables = new Map<string, Map<string, DbColumn>>();
  for (const r of cols) {
    let t = tables.get(String(r.t));
    if (!t) {
      t = new Map();
      tables.set(String(r.t), t);
    }
    t.set(String(r.c).toLowerCase(), {
      type: String(r.ct).toLowerCase(),
      dataType: String(r.dt).toLowerCase(),
      length: r.len === null ? null : Number(r.len),
      nullable: r.n === "YES",
      collation: r.coll === null ? null : String(r.coll),
      generated: /GENERATED/i.test(String(r.x ?? "")),
    });
  }
  const indexes = new Set(idx.map((r) => `${r.t}.${String(r.i).toLowerCase()}`));

  const statements: string[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];
  /** table\0column of every column changed (widened or converted): foreign keys over them are dropped around. */
  const changed = new Set<string>();
  for (const table of [...compiled.engineTables, ...compiled.tables]) {
    const existing = tables.get(table.name);
    const parent = table.spec.parent;
    if (!existing) {
      // A new child of a parent whose key is converted above: it is created with the key collation too.
      const parentSpec = parent ? compiled.tableByName.get(parent.table)?.spec : undefined;
      statements.push(createTableSql(table.spec, parentSpec, dialect));
      continue;
    }
    const q = table.quoted;
    const dbKey = primaryKeys.get(table.name) ?? [];
    if (dbKey.join() !== table.primaryKey.map((c) => c.toLowerCase()).join()) {
      warnings.push(
        `${table.name} has primary key (${dbKey.join(", ")}) in the database but (${table.primaryKey.join(", ")}) in the spec; migrate does not rebuild primary keys, change it by hand if intended`,
      );
    }
    if (parent && !parentsInDb.has(`${table.name}\u0000${parent.table}`)) {
      warnings.push(
        `${table.name} has no foreign key to ${parent.table} in the database, so deleting a ${parent.table} row does not delete its ${table.name}; migrate does not add it (rows without a parent would make it fail): ALTER TABLE ${q} ADD ${foreignKeySql(table.spec, parentKeyOf(compiled, parent.table))}`,
      );
    }
    const keys = keyColumns(table.spec);
    for (const col of table.spec.columns.values()) {
      const db = existing.get(col.name.toLowerCase());
      const isKey = keys.has(col.name);
      if (!db) {
        statements.push(`ALTER TABLE ${q} ADD COLUMN ${columnDefinition(col, isKey ? key : undefined)}`);
        continue;
      }
      if (Boolean(col.generated) !== db.generated) {
        warnings.push(
          `${table.name}.${col.name} is ${db.generated ? "a generated" : "a plain"} column in the database but ${col.generated ? "a generated" : "a plain"} one in the spec; migrate does not change it, change it by hand if intended`,
        );
        continue;
      }
      if (col.generated) continue; // its nullability and type are MySQL's to keep
      if (db.nullable !== col.nullable) {
        warnings.push(
          `${table.name}.${col.name} is ${db.nullable ? "NULL" : "NOT NULL"} in the database but ${col.nullable ? "nullable" : "NOT NULL"} in the spec; migrate does not change it (existing NULLs would make it fail), change it by hand if intended`,
        );
      }
      const t = col.type;
      const widen = isText(t) && db.dataType === t.name && db.length !== null && db.length < t.length;
      const convert = isKey && isText(t) && db.collation !== null && db.collation !== key;
      if (isText(t) && (widen || convert)) {
        // A key column goes to the exact key collation; any other keeps its own (its foreign keys
        // and indexes were made with it). Never narrower than it is.
        const own = db.collation && db.collation !== TABLE_COLLATION ? db.collation : undefined;
        const wide = { ...col, type: { ...t, length: Math.max(db.length ?? 0, t.length) } };
        statements.push(`ALTER TABLE ${q} MODIFY COLUMN ${columnDefinition(wide, isKey ? key : own)}`);
        changed.add(`${table.name}\u0000${col.name}`);
        if (convert)
          notes.push(
            `${table.name}.${col.name}: key column converted from ${db.collation} to ${key}, so that ids and unique values that differ in letter case or trailing spaces are different rows, as projector compares them`,
          );
      } else if (!sameType(sqlType(t), db)) {
        warnings.push(
          `${table.name}.${col.name} is ${db.type} in the database but ${sqlType(t)} in the spec; change it by hand if intended`,
        );
      }
    }
    for (const u of table.spec.uniques) {
      if (!indexes.has(`${table.name}.${u.name.toLowerCase()}`)) {
        statements.push(
          `ALTER TABLE ${q} ADD UNIQUE KEY ${quoteId(u.name)} (${u.columns.map(quoteId).join(", ")})`,
        );
      }
    }
    for (const i of table.spec.indexes) {
      if (!indexes.has(`${table.name}.${i.name.toLowerCase()}`)) {
        statements.push(`ALTER TABLE ${q} ADD KEY ${quoteId(i.name)} (${i.columns.map(quoteId).join(", ")})`);
      }
    }
  }
  // The dialect and key collation this database was migrated for (status shows them).
  // Both values come from fixed sets (dialect names, collation names): literals are safe here.
  const meta = { dialect, key_collation: key };
  const stale = Object.entries(meta).filter(([k, v]) => state.meta.get(k) !== v);
  if (stale.length > 0) {
    const { clause, incoming } = onDuplicate(dialect, quoteId(META));
    statements.push(
      `INSERT INTO ${quoteId(META)} (name, value) VALUES ${stale.map(([k, v]) => `('${k}', '${v}')`).join(", ")}${clause}value = ${incoming("value")}`,
    );
  }
  return { statements: aroundForeignKeys(statements, changed, compiled, parentsInDb), warnings, notes };
}

/**
 * MySQL refuses to change a column a foreign key uses, even to widen it: such foreign keys are
 * dropped before the changes and added back after them (which checks every row again).
 */
function aroundForeignKeys(
  statements: string[],
  changed: ReadonlySet<string>,
  compiled: CompiledSpec,
  inDb: ReadonlyMap<string, string>,
): string[] {
  const before: string[] = [];
  const after: string[] = [];
  for (const table of compiled.tables) {
    const parent = table.spec.parent;
    const name = parent && inDb.get(`${table.name}\u0000${parent.table}`);
    if (!parent || !name) continue;
    const parentKey = parentKeyOf(compiled, parent.table);
    const touched =
      parent.columns.some((c) => changed.has(`${table.name}\u0000${c}`)) ||
      parentKey.some((c) => changed.has(`${parent.table}\u0000${c}`));
    if (!touched) continue;
    before.push(`ALTER TABLE ${table.quoted} DROP FOREIGN KEY ${quoteId(name)}`);
    after.push(`ALTER TABLE ${table.quoted} ADD ${foreignKeySql(table.spec, parentKey, name)}`);
  }
  return before.length === 0 ? statements : [...before, ...statements, ...after];
}

function parentKeyOf(compiled: CompiledSpec, parent: string): readonly string[] {
  return compiled.tableByName.get(parent)?.primaryKey ?? [];
}

/** Loose type comparison: MySQL reports `int(11)`, MariaDB `longtext` for JSON, and so on. */
function sameType(spec: string, db: DbColumn): boolean {
  const s = spec.toLowerCase();
  const d = db.type.replace(/int\(\d+\)/, "int").replace(/ unsigned$/, "");
  if (s === d) return true;
  if (s === "json") return db.dataType === "json" || db.dataType === "longtext";
  if (s === "tinyint(1)") return d === "tinyint(1)" || d === "tinyint";
  if (s.startsWith("enum(")) return d.replace(/\s/g, "") === s.replace(/\s/g, "");
  if (s === "datetime") return d === "datetime";
  return false;
}
