import { transformNamed } from "../language/registry.js";
import type {
  ActionMode,
  ActionSpec,
  ColumnType,
  ColumnValue,
  Combine,
  ConditionSpec,
  Scalar,
  Spec,
  TableSpec,
  ValueSpec,
} from "../specs/types.js";
import { CoerceFailure, type Coercer, coercerFor } from "../values/coerce.js";
import { compileCondition, compileTest, type Getter, type Predicate } from "../values/conditions.js";
import {
  ABSENT,
  type Accessor,
  compileListPath,
  compilePath,
  forEachPath,
  selectsMany,
} from "../values/json-path.js";
import { forColumn, transformGetter } from "../values/transforms.js";
import { typeOf } from "../values/value-types.js";
import { createTableSql, type Dialect, orderTables, type PhysicalTable } from "./ddl.js";
import { COUNTED_SUFFIX, countedTableSpec, ENGINE_TABLES } from "./engine-tables.js";
import { quoteId } from "./sql.js";

export type { Getter, Predicate } from "../values/conditions.js";

export interface CompiledColumn {
  readonly name: string;
  readonly quoted: string;
  /** The value's source as written (for error messages). */
  readonly source: string;
  readonly get: Getter;
  readonly coerce: Coercer;
  readonly keepExisting: boolean;
  readonly nullable: boolean;
  /** How the value combines with the row's (`combine:`), else undefined: it replaces it. */
  readonly combine: Combine | undefined;
  /** The column's type. */
  readonly type: ColumnType;
}

export interface CompiledTable {
  readonly spec: TableSpec;
  readonly name: string;
  readonly quoted: string;
  readonly primaryKey: readonly string[];
  readonly guard: string | undefined;
  readonly parent: string | undefined;
  readonly ddl: string;
  /**
   * A table an action counts into (`combine: add`/`subtract`): the quoted name of the table that
   * keeps the events it counted (engine-tables.ts, countedTableSpec).
   */
  readonly counted: string | undefined;
}

export interface CompiledAction {
  readonly mode: ActionMode;
  readonly table: CompiledTable;
  readonly eventType: string;
  readonly index: number;
  /** upsert/append/replace: row columns; update/soft_delete: SET columns; delete: stamp (for the guard). */
  readonly columns: readonly CompiledColumn[];
  /** update/soft_delete/delete: the row's key; replace: the parent key. */
  readonly where: readonly CompiledColumn[];
  readonly forEach: Accessor | undefined;
  readonly forEachSource: string | undefined;
  /** Index of the guard column in `columns`, or -1. */
  readonly guardIndex: number;
  /** upsert/append: index in `columns` of each primary key column. */
  readonly keyIndexes: readonly number[];
  /** update/soft_delete/delete: does `where` use the primary key (else a unique key)? */
  readonly whereIsPrimary: boolean;
  /** Per column: absent or null is an error (key and guard columns). */
  readonly required: readonly boolean[];
  /**
   * upsert/append/replace: the columns that must have a value, NOT NULL without a default (MySQL
   * refuses an insert without them, even one that turns into an update of an existing row).
   */
  readonly insertRequired: readonly number[];
  /** The signature when every column is present. */
  readonly fullSignature: string;
  /** The action applies only to events this matches (the others count as filtered). */
  readonly when: Predicate | undefined;
  /**
   * replace: the replaces nested under it (`children:`), mapped per element right after it; set on
   * those: `nested` (they are skipped where the event's actions are mapped) and `parentKeyFrom`,
   * per parent column, the index of its value in the outer row (its where values, then columns).
   */
  readonly children: CompiledAction[];
  readonly nested: boolean;
  readonly parentKeyFrom: readonly number[];
  /** Not replace: the object its `@` paths read (`with:`), else undefined. */
  readonly with: Accessor | undefined;
  /** Its row (or parent row) missing: keep the event as an unmatched letter, or skip the action. */
  readonly ifMissing: "wait" | "skip";
  /** It counts (a column with `combine: add`/`subtract`): applied once per event, whatever redelivers it. */
  readonly counted: boolean;
  /**
   * The table's guard groups (`guards:`) as this action writes them: the index of the group's guard
   * in `columns` (-1: the action does not write it) and of the columns it covers.
   */
  readonly groups: readonly {
    readonly guard: string;
    readonly guardIndex: number;
    readonly covered: readonly number[];
  }[];
}

/**
 * The actions of one event type, in order; `when`, when set, decides whether an event of the type
 * is projected at all (one that does not match is counted as filtered).
 */
export type CompiledEvent = readonly CompiledAction[] & { readonly when?: Predicate };

/** Everything the runtime needs, computed once from the specs: pure data and functions, no I/O. */
export interface CompiledSpec {
  readonly spec: Spec;
  /** Parents before children. */
  readonly tables: readonly CompiledTable[];
  readonly tableByName: ReadonlyMap<string, CompiledTable>;
  /** Table name → its child tables (ON DELETE CASCADE). */
  readonly children: ReadonlyMap<string, readonly CompiledTable[]>;
  readonly events: ReadonlyMap<string, CompiledEvent>;
  /** Kafka topics: the event-type prefixes, sorted. */
  readonly topics: readonly string[];
  /** The dialect of the DDL in `tables[].ddl`. */
  readonly dialect: Dialect;
  /** The engine's own tables (dead letters, offsets, tombstones), compiled like the others. */
  readonly engineTables: readonly CompiledTable[];
  /** Per parent table, its `aggregate:` columns (tables without any are not in it). */
  readonly aggregates: ReadonlyMap<string, readonly AggregateColumn[]>;
}

export function topicOf(eventType: string): string {
  const dot = eventType.indexOf(".");
  return dot < 0 ? eventType : eventType.slice(0, dot);
}

/**
 * A column kept equal to an aggregate of its row's current child rows (`aggregate:`): recomputed,
 * for every row whose children a batch wrote, by one UPDATE at the end of the batch's statements.
 */
export interface AggregateColumn {
  readonly name: string;
  readonly quoted: string;
  readonly type: ColumnType;
  readonly fn: "count" | "sum";
  readonly child: CompiledTable;
  /** The child columns whose product is summed (sum). */
  readonly of: readonly string[];
  /** Child column = constant, the constant as the column stores it (null: IS NULL). */
  readonly where: readonly { readonly column: string; readonly value: unknown; readonly text: boolean }[];
}

const TEXT = new Set(["varchar", "char", "text", "mediumtext", "enum"]);

/** Per parent table, its aggregate columns (the specs are validated: each over a child of it). */
export function compileAggregates(
  spec: Spec,
  tableByName: ReadonlyMap<string, CompiledTable>,
): Map<string, AggregateColumn[]> {
  const out = new Map<string, AggregateColumn[]>();
  for (const table of spec.tables.values())
    for (const col of table.columns.values()) {
      const agg = col.aggregate;
      if (!agg) continue;
      const child = tableByName.get(agg.table);
      // Read, not written (a rebuild's ancestor outside the rebuilt set): nothing to keep.
      if (!child || !tableByName.has(table.name)) continue;
      const list = out.get(table.name) ?? [];
      if (list.length === 0) out.set(table.name, list);
      list.push({
        name: col.name,
        quoted: quoteId(col.name),
        type: col.type,
        fn: agg.fn,
        child,
        of: agg.of,
        where: agg.where.map((w) => {
          const type = child.spec.columns.get(w.column)!.type;
          return { column: w.column, value: storedConstant(type, w.value), text: TEXT.has(type.name) };
        }),
      });
    }
  return out;
}

/** A where constant as the column stores it (the value a row holds when it equals it). */
function storedConstant(type: ColumnType, value: Scalar): unknown {
  if (value === null) return null;
  const v = coercerFor(type)(value);
  return v instanceof CoerceFailure ? value : v;
}

/** A table with its DDL and quoted name (its physical one when it is built elsewhere: a shadow). */
function compileTable(
  t: TableSpec,
  parent: TableSpec | undefined,
  dialect: Dialect,
  physical?: PhysicalTable,
  counted = false,
): CompiledTable {
  return {
    spec: t,
    name: t.name,
    quoted: quoteId(physical?.name ?? t.name),
    primaryKey: t.primaryKey,
    guard: t.guard,
    parent: t.parent?.table,
    ddl: createTableSql(t, parent, dialect, physical),
    counted: counted ? quoteId(`${physical?.name ?? t.name}${COUNTED_SUFFIX}`) : undefined,
  };
}

/** The tables some action counts into (a column with `combine: add` or `subtract`). */
export function countedTables(spec: Spec): Set<string> {
  const out = new Set<string>();
  for (const actions of spec.events.values())
    for (const a of actions)
      if (a.columns.some((c) => c.combine === "add" || c.combine === "subtract")) out.add(a.table);
  return out;
}

/**
 * Compiles validated specs. Pure and synchronous. `dialect` decides the DDL of `ddl` (key
 * collations); migrate writes the DDL of the server it finds.
 */
export function compile(
  spec: Spec,
  dialect: Dialect = "mariadb",
  /** Tables written under another name (a rebuild's shadows): statements and DDL use it; rows, tombstones and counters keep the table's name. */
  physical?: ReadonlyMap<string, PhysicalTable>,
): CompiledSpec {
  const counted = countedTables(spec);
  const tables = orderTables(spec).map((t) =>
    compileTable(
      t,
      t.parent ? spec.tables.get(t.parent.table) : undefined,
      dialect,
      physical?.get(t.name),
      counted.has(t.name),
    ),
  );
  const tableByName = new Map(tables.map((t) => [t.name, t]));
  const events = new Map<string, CompiledEvent>();
  for (const [eventType, actions] of [...spec.events].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const compiled = actions.map((a) => compileAction(a, tableByName.get(a.table)!));
    // Nested replaces: each outer replace holds its children, and each child where its parent
    // key's values sit in the outer row (the outer's where values, then its columns).
    actions.forEach((a, i) => {
      if (a.nestedIn === undefined) return;
      const outer = compiled[actions.findIndex((x) => x.index === a.nestedIn)]!;
      const child = compiled[i]! as { -readonly [K in keyof CompiledAction]: CompiledAction[K] };
      const outerCols = [...outer.where.map((w) => w.name), ...outer.columns.map((c) => c.name)];
      const parentPk = outer.table.primaryKey;
      child.parentKeyFrom = child.table.spec.parent!.columns.map((_, j) => outerCols.indexOf(parentPk[j]!));
      outer.children.push(child);
    });
    const when = spec.conditions.get(eventType);
    events.set(eventType, when ? Object.assign(compiled, { when: predicate(when) }) : compiled);
  }
  const topics = [...new Set([...events.keys()].map(topicOf))].sort();
  const children = new Map(tables.map((t) => [t.name, tables.filter((c) => c.parent === t.name)]));
  // The tables of counted events, one per counted table, are the engine's (migrate creates them).
  const engineTables = [
    ...ENGINE_TABLES.map((t) => compileTable(t, undefined, dialect)),
    ...tables
      .filter((t) => t.counted !== undefined)
      .map((t) =>
        compileTable(
          countedTableSpec(`${physical?.get(t.name)?.name ?? t.name}${COUNTED_SUFFIX}`),
          undefined,
          dialect,
        ),
      ),
  ];
  const aggregates = compileAggregates(spec, tableByName);
  return { spec, tables, tableByName, children, events, topics, engineTables, dialect, aggregates };
}

function sourceText(v: ValueSpec): string {
  switch (v.kind) {
    case "path":
      return v.path;
    case "coalesce":
      return `coalesce(${v.paths.map((p) => p.path).join(", ")})`;
    case "const":
      return `constant ${JSON.stringify(v.value)}`;
    case "transform":
      return `${v.name}(${v.args.map(sourceText).join(", ")})`;
    case "test":
      return "test(…)";
    case "each":
      return `each(${v.each.path}, ${sourceText(v.of)})`;
    default:
      return `@${v.kind}`;
  }
}

/** A condition compiled with the value getters. */
function predicate(c: ConditionSpec): Predicate {
  return compileCondition(c, (v) => getterFor(v));
}

/** A value's getter; `target` is the column type it is written to (decimal transforms take its scale). */
function getterFor(v: ValueSpec, target?: ColumnType): Getter {
  switch (v.kind) {
    case "const": {
      const value = v.value;
      return () => value;
    }
    case "key":
      return (_e, _el, key) => (typeof key === "string" ? key : String(key));
    case "index":
      return (_e, _el, key) => key;
    case "position":
      return (_e, _el, key) => (key as number) + 1;
    case "path": {
      const read = compilePath(v.path);
      return v.root === "event" ? (e) => read(e) : (_e, el) => read(el);
    }
    case "coalesce": {
      const getters = v.paths.map((p) => getterFor(p));
      return (e, el, key) => {
        let result: unknown = ABSENT;
        for (const g of getters) {
          const value = g(e, el, key);
          if (value !== ABSENT && value !== null) return value;
          if (value === null) result = null;
        }
        return result;
      };
    }
    case "transform":
      return transformGetter(
        v,
        // An aggregate reads its path as a list (every value it selects), the others as one value.
        transformNamed(v.name)?.input.kind === "many"
          ? v.args.map(listGetterFor)
          : v.args.map((a) => getterFor(a)),
        target,
      );
    case "test":
      return compileTest(v.condition, (x) => getterFor(x));
    case "each":
      return listGetterFor(v);
  }
}

/** A path read as a list of the values it selects (an aggregate's argument; the loader made it a path). */
function listGetterFor(v: ValueSpec): Getter {
  if (v.kind === "each") {
    // `of` for every element the path selects, with @ reading that element (and @index its index).
    const elements = listGetterFor(v.each);
    const of = getterFor(v.of);
    return (e, el, key) => {
      const list = elements(e, el, key);
      if (!Array.isArray(list)) return list;
      const out: unknown[] = [];
      for (let i = 0; i < list.length; i++) {
        const x = of(e, list[i], i);
        if (x instanceof CoerceFailure) return x;
        // An element without the value is left out, as a path leaves out elements without the field.
        if (x !== ABSENT) out.push(x);
      }
      return out;
    };
  }
  if (v.kind !== "path") throw new Error("an aggregate takes a path (the loader checks it)");
  const read = compileListPath(v.path);
  return v.root === "event" ? (e) => read(e) : (_e, el) => read(el);
}

function compileColumn(table: TableSpec, cv: ColumnValue): CompiledColumn {
  const col = table.columns.get(cv.column)!;
  const computed = cv.value.kind === "transform" || cv.value.kind === "test";
  const get = getterFor(cv.value, col.type);
  const coerce = coercerFor(col.type);
  return {
    name: cv.column,
    quoted: quoteId(cv.column),
    source: sourceText(cv.value),
    get: computed ? forColumn(get, typeOf(cv.value), col.type) : get,
    // A transform that cannot take its input hands its failure on: the coercion passes it through,
    // so the mapping's one failure check sees it (no extra check for the plain paths).
    coerce: computed ? (v) => (v instanceof CoerceFailure ? v : coerce(v)) : coerce,
    keepExisting: cv.keepExisting,
    nullable: col.nullable,
    combine: cv.combine,
    type: col.type,
  };
}

function compileAction(action: ActionSpec, table: CompiledTable): CompiledAction {
  const spec = table.spec;
  // The table's stamp columns are written by every action, unless the action maps them itself.
  const own = new Set(action.columns.map((c) => c.column));
  const stamp: ColumnValue[] = [...(action.noStamp ? [] : spec.stamp)]
    .filter(([col]) => !own.has(col))
    .map(([column, value]) => ({ column, value, keepExisting: false, pos: value.pos }));
  const mapped = action.mode === "delete" ? stamp : [...action.columns, ...stamp];
  const columns = mapped.map((c) => compileColumn(spec, c));
  // A nested replace has no where: its parent key comes from the outer row (as its parent columns).
  let where =
    action.nestedIn !== undefined
      ? spec.parent!.columns.map((column) =>
          compileColumn(spec, {
            column,
            value: { kind: "const", value: null, pos: action.pos },
            keepExisting: false,
            pos: action.pos,
          }),
        )
      : action.where.map((c) => compileColumn(spec, c));
  const whereNames = where.map((w) => w.name);
  // A row selected by its primary key: the key's values in the key's column order, whatever order
  // the spec lists them in (the planner compares and binds them as the key).
  if (whereNames.length === spec.primaryKey.length && spec.primaryKey.every((k) => whereNames.includes(k)))
    where = spec.primaryKey.map((k) => where[whereNames.indexOf(k)]!);
  const keyIndexes = spec.primaryKey.map((k) => columns.findIndex((c) => c.name === k));
  const guardIndex = spec.guard ? columns.findIndex((c) => c.name === spec.guard) : -1;
  const groups =
    action.mode === "upsert" || action.mode === "update" || action.mode === "soft_delete"
      ? (spec.guardGroups ?? []).map((g) => ({
          guard: g.guard,
          guardIndex: columns.findIndex((c) => c.name === g.guard),
          covered: columns.flatMap((c, i) => (g.columns.includes(c.name) ? [i] : [])),
        }))
      : [];
  return {
    mode: action.mode,
    table,
    eventType: action.eventType,
    index: action.index,
    columns,
    where,
    // A path that selects several values (`$.data.racks[*].bins[*]`) is the list of them, one
    // match included (not that match's fields); else the array or map a path names.
    forEach: action.forEach
      ? selectsMany(forEachPath(action.forEach.path))
        ? compileListPath(action.forEach.path)
        : compilePath(forEachPath(action.forEach.path))
      : undefined,
    forEachSource: action.forEach?.path,
    guardIndex,
    keyIndexes,
    required: columns.map(
      (_, i) => i === guardIndex || keyIndexes.includes(i) || groups.some((g) => g.guardIndex === i),
    ),
    insertRequired:
      action.mode === "upsert" || action.mode === "append" || action.mode === "replace"
        ? columns.flatMap((c, i) => {
            const col = spec.columns.get(c.name)!;
            return !col.nullable && col.default === undefined && !col.generated ? [i] : [];
          })
        : [],
    whereIsPrimary:
      whereNames.length === spec.primaryKey.length && spec.primaryKey.every((k) => whereNames.includes(k)),
    fullSignature: "1".repeat(columns.length),
    when: action.when ? predicate(action.when) : undefined,
    ifMissing: action.ifMissing ?? "wait",
    with: action.with ? compilePath(action.with.path) : undefined,
    children: [],
    nested: action.nestedIn !== undefined,
    parentKeyFrom: [],
    counted: columns.some((c) => c.combine === "add" || c.combine === "subtract"),
    groups,
  };
}
