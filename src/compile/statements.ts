import { ABSENT } from "../values/json-path.js";
import type { CompiledAction, CompiledColumn } from "./compile.js";
import { sqlType } from "./ddl.js";
import type { MappedOp } from "./map-event.js";
import {
  combinedValue,
  type Dialect,
  guardCondition,
  onDuplicate,
  placeholders,
  quoteId,
  rowsOf,
} from "./sql.js";

/** A statement with `?` placeholders and the values bound to them, in order. */
export interface Statement {
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * An upper bound of the bytes a value takes in the statement text once the driver has escaped it:
 * a string at most 3 UTF-8 bytes per UTF-16 unit (or 2 per escaped ASCII character), a Buffer as hex.
 */
export function valueBytes(v: unknown): number {
  if (typeof v === "string") return v.length * 3 + 2;
  if (Buffer.isBuffer(v)) return v.length * 2 + 3;
  return 24;
}

/** Characters the driver escapes with a backslash. */
const ESCAPED = /[\0\b\t\n\r\x1a"'\\]/g;

/** The exact bytes of a value in the statement text (slower: only for statements near the limit). */
export function exactValueBytes(v: unknown): number {
  if (typeof v === "string") return Buffer.byteLength(v) + 2 + (v.match(ESCAPED)?.length ?? 0);
  return valueBytes(v);
}

/** An upper bound of the statement's size on the wire, for max_allowed_packet. */
export function statementBytes(s: Statement): number {
  let n = s.sql.length;
  for (const v of s.params) n += valueBytes(v);
  return n;
}

/** The statement's exact size on the wire (for one whose upper bound is over the limit). */
export function exactStatementBytes(s: Statement): number {
  let n = Buffer.byteLength(s.sql);
  for (const v of s.params) n += exactValueBytes(v);
  return n;
}

/**
 * The SQL around the rows of a multi-row statement. Ops whose shapes have the same `key` can share
 * one statement; for inserts the key is the statement text itself.
 */
export interface RowShape {
  readonly key: string;
  readonly prefix: string;
  readonly suffix: string;
  /** Indexes into op.values of the columns in the statement, in order. */
  readonly present: readonly number[];
  /**
   * Upserts and updates: the signature `present` comes from. Another op in the statement (of
   * another action with the same text) takes its own indexes from its own signature.
   */
  readonly signature?: string;
  /** The row template when every listed column has a value. */
  readonly row: string;
  /**
   * Upserts with their guard listed (or no guard) into a table without unique keys: a later row of
   * the same key, applied after an earlier one that the guard let through, leaves of it only the
   * columns the update does not assign (keep_existing ones), whose indexes into op.values these
   * are. One statement may then carry the two as one row.
   */
  readonly supersede?: { readonly keep: readonly number[] } | undefined;
}

const shapeCache = new WeakMap<CompiledAction, Map<string, RowShape>>();

function cached(action: CompiledAction, signature: string, build: () => RowShape): RowShape {
  let byAction = shapeCache.get(action);
  if (!byAction) {
    byAction = new Map();
    shapeCache.set(action, byAction);
  }
  let shape = byAction.get(signature);
  if (!shape) {
    shape = build();
    byAction.set(signature, shape);
  }
  return shape;
}

function presentIndexes(signature: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < signature.length; i++) if (signature[i] === "1") out.push(i);
  return out;
}

const names = (cols: readonly CompiledColumn[]) => cols.map((c) => c.quoted).join(",");

/**
 * `INSERT … ON DUPLICATE KEY UPDATE` for the columns present in `signature`. Key and keep_existing
 * columns are not updated; with a guard, every assignment is conditional and the guard is assigned
 * last (assignments run left to right and see columns already updated).
 */
export function upsertShape(action: CompiledAction, signature: string, dialect: Dialect): RowShape {
  return cached(action, `${dialect}:${signature}`, () => {
    const present = presentIndexes(signature);
    const cols = present.map((i) => action.columns[i]!);
    const table = action.table;
    const guard = table.guard;
    const keys = new Set(table.primaryKey);
    // Guard groups (`guards:`): a column of a group is written under its group's guard, assigned
    // after the group's columns (before the table's guard, assigned last).
    const groupOf = new Map<string, string>();
    for (const g of table.spec.guardGroups ?? []) {
      groupOf.set(g.guard, g.guard);
      for (const c of g.columns) groupOf.set(c, g.guard);
    }
    const isGroupGuard = (c: CompiledColumn) => groupOf.get(c.name) === c.name;
    const updated = cols.filter(
      (c) => !keys.has(c.name) && !c.keepExisting && c.name !== guard && !isGroupGuard(c),
    );
    updated.push(...cols.filter(isGroupGuard));
    if (guard && cols.some((c) => c.name === guard)) updated.push(cols.find((c) => c.name === guard)!);
    const d = onDuplicate(dialect, table.quoted);
    let assignments: string;
    if (updated.length === 0) {
      const k = quoteId(table.primaryKey[0]!);
      assignments = `${k} = ${d.current(k)}`;
    } else {
      // A combined column's new value reads its current one (before it is assigned: each column is
      // assigned once, and the guard, which the condition reads, last).
      const value = (c: CompiledColumn) =>
        c.combine
          ? combinedValue(c.combine, d.current(c.quoted), d.incoming(c.quoted))
          : d.incoming(c.quoted);
      const main = guard ? guardCondition(d, quoteId(guard)) : undefined;
      const condOf = (c: CompiledColumn) => {
        const g = groupOf.get(c.name);
        return g === undefined ? main : guardCondition(d, quoteId(g));
      };
      assignments = updated
        .map((c) => {
          const cond = condOf(c);
          return cond
            ? `${c.quoted} = IF(${cond}, ${value(c)}, ${d.current(c.quoted)})`
            : `${c.quoted} = ${value(c)}`;
        })
        .join(", ");
    }
    const prefix = `INSERT INTO ${table.quoted} (${names(cols)}) VALUES `;
    const suffix = `${d.clause}${assignments}`;
    // Without its guard listed, a row's guard condition would compare a default, not its value.
    // With unique keys, a row between the two may free a value the later one takes: order matters.
    const assigned = new Set(updated);
    // A combined column adds up (or keeps a mark of) every row: none may take another's place.
    const supersede =
      (!guard || cols.some((c) => c.name === guard)) &&
      table.spec.uniques.length === 0 &&
      !cols.some((c) => c.combine) &&
      groupOf.size === 0
        ? {
            keep: present.filter(
              (i) => !assigned.has(action.columns[i]!) && !keys.has(action.columns[i]!.name),
            ),
          }
        : undefined;
    return {
      key: prefix + suffix,
      prefix,
      suffix,
      present,
      signature,
      row: placeholders(cols.length),
      supersede,
    };
  });
}

/**
 * Plain inserts (append, replace's new children): every column listed; an absent value becomes
 * DEFAULT in that row. Append is idempotent by the table's key (a no-op update on duplicates).
 */
export function insertShape(action: CompiledAction): RowShape {
  return cached(action, "insert", () => {
    const table = action.table;
    const cols = action.mode === "replace" ? [...action.where, ...action.columns] : action.columns;
    const k = quoteId(table.primaryKey[0]!);
    const prefix = `INSERT INTO ${table.quoted} (${names(cols)}) VALUES `;
    // Both dialects: the no-op update reads no incoming value (no row alias needed on MySQL).
    const suffix = action.mode === "append" ? ` ON DUPLICATE KEY UPDATE ${k} = ${k}` : "";
    return {
      key: prefix + suffix,
      prefix,
      suffix,
      present: action.columns.map((_, i) => i),
      row: placeholders(cols.length),
    };
  });
}

/** Appends one row to a multi-row INSERT: `?` per value, DEFAULT where the value is absent. */
function appendRow(
  parts: string[],
  params: unknown[],
  lead: readonly unknown[],
  values: readonly unknown[],
): void {
  let text = "(";
  let first = true;
  for (const v of lead) {
    text += first ? "?" : ",?";
    first = false;
    params.push(v);
  }
  for (const v of values) {
    if (v === ABSENT) text += first ? "DEFAULT" : ",DEFAULT";
    else {
      text += first ? "?" : ",?";
      params.push(v);
    }
    first = false;
  }
  parts.push(`${text})`);
}

/**
 * Multi-row upsert of ops sharing one shape (one statement text). Ops of other actions can share
 * it with their columns at other indexes: each op's values are read through its own shape.
 */
export function upsertStatement(shape: RowShape, ops: readonly MappedOp[]): Statement {
  const params: unknown[] = new Array(ops.length * shape.present.length);
  let k = 0;
  for (const op of ops) {
    // Each op's own present indexes: ops of another action may share the statement text (and
    // replace an earlier op of the same row in it), with the same columns at other indexes.
    const present =
      shape.signature === undefined || op.signature === shape.signature
        ? shape.present
        : presentIndexes(op.signature);
    for (const i of present) params[k++] = op.values[i];
  }
  return { sql: shape.prefix + rowsOf(shape.row, ops.length) + shape.suffix, params };
}

/** Multi-row insert (append or new child rows); rows carry the parent key first for replace. */
export function insertStatement(
  shape: RowShape,
  rows: readonly { lead: readonly unknown[]; values: readonly unknown[] }[],
): Statement {
  const params: unknown[] = [];
  const parts: string[] = [];
  for (const r of rows) appendRow(parts, params, r.lead, r.values);
  return { sql: shape.prefix + parts.join(",") + shape.suffix, params };
}

/** `DELETE FROM child WHERE (parent key) IN (…)`: the first half of replace, for many parents at once. */
export function deleteChildrenStatement(
  action: CompiledAction,
  parentKeys: readonly (readonly unknown[])[],
): Statement {
  const cols = action.where;
  const params = parentKeys.flat();
  const lhs = cols.length === 1 ? cols[0]!.quoted : `(${names(cols)})`;
  const one = cols.length === 1 ? "?" : placeholders(cols.length);
  const list = `${one},`.repeat(parentKeys.length - 1) + one;
  return { sql: `DELETE FROM ${action.table.quoted} WHERE ${lhs} IN (${list})`, params };
}

/**
 * Hard deletes of many rows in one statement, joined on the primary key like updates; with a guard,
 * a row newer than the event stays. Children go with their parent (ON DELETE CASCADE).
 */
export function deleteShape(action: CompiledAction): RowShape {
  return cached(action, "delete", () => {
    const table = action.table;
    const keyCols = action.where.map((_, i) => `? AS \`k${i}\``);
    const guarded = table.guard !== undefined && action.guardIndex >= 0;
    const first = guarded ? [...keyCols, "? AS `g`"] : keyCols;
    const on = action.where.map((w, i) => `t.${w.quoted} = u.\`k${i}\``).join(" AND ");
    const where = guarded
      ? ` WHERE (t.${quoteId(table.guard!)} IS NULL OR t.${quoteId(table.guard!)} <= u.\`g\`)`
      : "";
    const prefix = `DELETE t FROM ${table.quoted} AS t JOIN (SELECT ${first.join(", ")}`;
    const suffix = `) AS u ON ${on}${where}`;
    const width = first.length;
    return {
      key: prefix + suffix,
      prefix,
      suffix,
      present: guarded ? [action.guardIndex] : [],
      row: ` UNION ALL SELECT ${"?,".repeat(width - 1)}?`,
    };
  });
}

/**
 * Many updates of one shape in one statement: the new values arrive as a derived table joined on
 * the key (primary or unique). `UPDATE … JOIN (SELECT … UNION ALL SELECT …)` runs on MySQL 8 and
 * MariaDB alike. With a guard, a row is only updated when its guard is not newer than the event's.
 * The planner never puts two updates of the same row in one statement.
 */
export function updateShape(action: CompiledAction, signature: string): RowShape {
  return cached(action, `update:${signature}`, () => {
    const present = presentIndexes(signature);
    const table = action.table;
    const keys = action.where.map((w, i) => `${w.quoted} = u.\`k${i}\``);
    const first = [
      ...action.where.map((_, i) => `? AS \`k${i}\``),
      ...present.map((_, i) => `? AS \`v${i}\``),
    ];
    // keep_existing: set once, while the row's value is NULL (assignments see the row as it was).
    const sets = present.map((c, i) => {
      const col = action.columns[c]!;
      if (col.combine)
        return `t.${col.quoted} = ${combinedValue(col.combine, `t.${col.quoted}`, typed(col, `u.\`v${i}\``))}`;
      return col.keepExisting
        ? `t.${col.quoted} = COALESCE(t.${col.quoted}, u.\`v${i}\`)`
        : `t.${col.quoted} = u.\`v${i}\``;
    });
    const guardAt = table.guard ? present.indexOf(action.guardIndex) : -1;
    const where =
      guardAt >= 0
        ? ` WHERE (t.${quoteId(table.guard!)} IS NULL OR t.${quoteId(table.guard!)} <= u.\`v${guardAt}\`)`
        : "";
    const prefix = `UPDATE ${table.quoted} AS t JOIN (SELECT ${first.join(", ")}`;
    const suffix = `) AS u ON ${keys.map((k) => `t.${k}`).join(" AND ")} SET ${sets.join(", ")}${where}`;
    const width = action.where.length + present.length;
    return {
      key: prefix + suffix,
      prefix,
      suffix,
      present,
      signature,
      row: ` UNION ALL SELECT ${"?,".repeat(width - 1)}?`,
    };
  });
}

/**
 * A derived table's value as the column's type, for arithmetic and comparisons: a decimal or a
 * datetime is bound as text, which `+` would take as a double and GREATEST compare as text.
 */
function typed(col: CompiledColumn, value: string): string {
  const t = col.type;
  return t.name === "decimal" || t.name === "date" || t.name === "datetime"
    ? `CAST(${value} AS ${sqlType(t)})`
    : value;
}

/**
 * Rows joined on their key (`UPDATE … JOIN`, `DELETE … JOIN`): per op its key values, then the
 * values the shape lists, as the rows of the derived table.
 */
function joinedStatement(shape: RowShape, ops: readonly MappedOp[]): Statement {
  const params: unknown[] = [];
  for (const op of ops) {
    for (const w of op.where) params.push(w);
    // Another action whose statement has the same text lists the same columns, maybe at other
    // indexes of its own values (an absent column before them): its own present indexes.
    const present =
      shape.signature === undefined || op.signature === shape.signature
        ? shape.present
        : presentIndexes(op.signature);
    for (const i of present) params.push(op.values[i]);
  }
  return { sql: shape.prefix + shape.row.repeat(ops.length - 1) + shape.suffix, params };
}

/** The multi-row UPDATE of ops sharing one update shape. */
export const updateStatement = joinedStatement;

/** The multi-row DELETE of ops sharing one delete shape. */
export const deleteStatement = joinedStatement;

/** The statements an action compiles to, for one row with every value present (golden tests, `ddl --statements`). */
export function describeAction(action: CompiledAction, dialect: Dialect): string[] {
  const all = action.fullSignature;
  const fake = {
    action,
    values: action.columns.map(() => 0),
    where: action.where.map(() => 0),
    rows: undefined,
    signature: all,
  };
  switch (action.mode) {
    case "upsert": {
      const s = upsertShape(action, all, dialect);
      return [s.prefix + s.row + s.suffix];
    }
    case "append": {
      const s = insertShape(action);
      return [s.prefix + s.row + s.suffix];
    }
    case "replace": {
      const s = insertShape(action);
      return [deleteChildrenStatement(action, [action.where.map(() => 0)]).sql, s.prefix + s.row + s.suffix];
    }
    case "delete":
      return [deleteStatement(deleteShape(action), [fake]).sql];
    default:
      return [updateStatement(updateShape(action, all), [fake]).sql];
  }
}
