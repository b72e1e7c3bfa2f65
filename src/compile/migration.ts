import type { CompiledSpec } from "./compile.js";
import {
  columnDefinition,
  createTableSql,
  foreignKeySql,
  isText,
  KEY_COLLATION,
  keyColumns,
  sqlType,
  TABLE_COLLATION,
} from "./ddl.js";
import { quoteId } from "./sql.js";
import type { Statement } from "./statements.js";

export interface Migration {
  /** Statements to run, in order. */
  readonly statements: readonly string[];
  /** Differences migrate will not fix by itself (it never drops or narrows). */
  readonly warnings: readonly string[];
}

interface DbColumn {
  type: string;
  dataType: string;
  length: number | null;
  nullable: boolean;
  collation: string | null;
}

type CatalogRow = Record<string, unknown>;

/**
 * What migrate reads of the database's catalogue, in one round trip: the columns, the foreign keys,
 * the index columns of the current database. Their rows, in this order, are diffSchema's input.
 */
export const CATALOG_QUERIES: readonly Statement[] = [
  {
    sql: "SELECT TABLE_NAME t, COLUMN_NAME c, COLUMN_TYPE ct, DATA_TYPE dt, CHARACTER_MAXIMUM_LENGTH len, IS_NULLABLE n, COLLATION_NAME coll FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()",
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

/**
 * Compares the database (the rows of CATALOG_QUERIES) with the compiled specs: creates missing
 * tables (engine tables too), adds missing columns and indexes, widens VARCHAR/CHAR columns the spec
 * made longer. Never drops or narrows. Pure: the caller reads the catalogue and runs the statements.
 */
export function diffSchema(catalog: readonly (readonly CatalogRow[])[], compiled: CompiledSpec): Migration {
  const [cols = [], fks = [], idx = []] = catalog;
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
    });
  }
  const indexes = new Set(idx.map((r) => `${r.t}.${String(r.i).toLowerCase()}`));

  const statements: string[] = [];
  const warnings: string[] = [];
  /** table\0column of every column widened. */
  const widened = new Set<string>();
  /** Collations of the columns of tables this migration creates: `table\0column` → name. */
  const created = new Map<string, string>();
  /** Collation of a text column as it is (or will be) in the database: `table\0column` → name. */
  const collationOf = (t: string, c: string): string | null | undefined =>
    tables.get(t)?.get(c.toLowerCase())?.collation ?? created.get(`${t}\u0000${c}`);
  for (const table of [...compiled.engineTables, ...compiled.tables]) {
    const existing = tables.get(table.name);
    if (!existing) {
      // A new child of an older parent: its parent columns must have the parent key's collation,
      // or MySQL refuses the foreign key (an older database's keys may still ignore letter case).
      const parent = table.spec.parent;
      const parentKey = parent ? parentKeyOf(compiled, parent.table) : [];
      const collations = new Map<string, string>();
      parent?.columns.forEach((c, i) => {
        const theirs = collationOf(parent.table, parentKey[i] ?? "");
        if (theirs && theirs !== KEY_COLLATION) collations.set(c, theirs);
      });
      const keys = keyColumns(table.spec);
      for (const c of table.spec.columns.values())
        created.set(
          `${table.name}\u0000${c.name}`,
          collations.get(c.name) ?? (keys.has(c.name) ? KEY_COLLATION : ""),
        );
      const parentSpec = parent ? compiled.tableByName.get(parent.table)?.spec : undefined;
      statements.push(collations.size > 0 ? createTableSql(table.spec, parentSpec, collations) : table.ddl);
      for (const [c, coll] of collations)
        warnings.push(
          `${table.name}.${c} is created with collation ${coll}, as ${parent!.table}'s key has it in the database (a foreign key needs the same); convert both as the warnings about ${parent!.table} say`,
        );
      continue;
    }
    const q = table.quoted;
    const dbKey = primaryKeys.get(table.name) ?? [];
    if (dbKey.join() !== table.primaryKey.map((c) => c.toLowerCase()).join()) {
      warnings.push(
        `${table.name} has primary key (${dbKey.join(", ")}) in the database but (${table.primaryKey.join(", ")}) in the spec; migrate does not rebuild primary keys, change it by hand if intended`,
      );
    }
    const parent = table.spec.parent;
    if (parent && !parentsInDb.has(`${table.name}\u0000${parent.table}`)) {
      warnings.push(
        `${table.name} has no foreign key to ${parent.table} in the database, so deleting a ${parent.table} row does not delete its ${table.name}; migrate does not add it (rows without a parent would make it fail): ALTER TABLE ${q} ADD ${foreignKeySql(table.spec, parentKeyOf(compiled, parent.table))}`,
      );
    }
    const keys = keyColumns(table.spec);
    for (const col of table.spec.columns.values()) {
      const db = existing.get(col.name.toLowerCase());
      const key = keys.has(col.name);
      if (!db) {
        statements.push(`ALTER TABLE ${q} ADD COLUMN ${columnDefinition(col, key)}`);
        continue;
      }
      if (key && isText(col.type) && db.collation !== KEY_COLLATION) {
        warnings.push(
          `${table.name}.${col.name} is a key column with collation ${db.collation} in the database: there, ids or unique values that differ only in letter case are one row, while projector treats them as two; migrate does not rebuild it: ALTER TABLE ${q} MODIFY COLUMN ${columnDefinition(col, true)} (with the foreign keys that use it dropped first and added back after, their columns converted too)`,
        );
      }
      if (db.nullable !== col.nullable) {
        warnings.push(
          `${table.name}.${col.name} is ${db.nullable ? "NULL" : "NOT NULL"} in the database but ${col.nullable ? "nullable" : "NOT NULL"} in the spec; migrate does not change it (existing NULLs would make it fail), change it by hand if intended`,
        );
      }
      const t = col.type;
      if (isText(t) && db.dataType === t.name && db.length !== null && db.length < t.length) {
        // Widened in its own collation: changing that too would break its foreign keys.
        const usual = key ? KEY_COLLATION : TABLE_COLLATION;
        const keep = db.collation && db.collation !== usual ? db.collation : key;
        statements.push(`ALTER TABLE ${q} MODIFY COLUMN ${columnDefinition(col, keep)}`);
        widened.add(`${table.name}\u0000${col.name}`);
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
  return { statements: aroundForeignKeys(statements, widened, compiled, parentsInDb), warnings };
}

/**
 * MySQL refuses to change a column a foreign key uses, even to widen it: such foreign keys are
 * dropped before the changes and added back after them (which checks every row again).
 */
function aroundForeignKeys(
  statements: string[],
  widened: ReadonlySet<string>,
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
      parent.columns.some((c) => widened.has(`${table.name}\u0000${c}`)) ||
      parentKey.some((c) => widened.has(`${parent.table}\u0000${c}`));
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
