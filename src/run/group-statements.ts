import { aggregateStatement } from "../compile/aggregates.js";
import type { CompiledSpec } from "../compile/compile.js";
import type { MappedOp } from "../compile/map-event.js";
import type { Dialect } from "../compile/sql.js";
import { deleteShape, insertShape, type Statement, updateShape, upsertShape } from "../compile/statements.js";
import { type Conflict, Conflicts } from "./conflicts.js";
import { type PlannedOp, whereUnique } from "./decide.js";
import { countHash, keyString, tombstoneHash } from "./row-state.js";
import { type DeleteChildrenGroup, Groups, type InsertGroup, type KeyedGroup } from "./statement-groups.js";

/** Statements are kept below this many bytes unless the sink knows the server's max_allowed_packet. */
export const DEFAULT_STATEMENT_BYTES = 4 << 20;

/**
 * Turns the planned operations into as few statements as possible while keeping per-row order:
 * an operation joins the last statement of its shape only if no later statement touches the rows
 * it touches or depends on (conflicts.ts says what a write touches; statement-groups.ts places it).
 */
export function buildStatements(
  ops: readonly PlannedOp[],
  compiled: CompiledSpec,
  maxBytes = DEFAULT_STATEMENT_BYTES,
  /** The server's dialect (the compiled DDL's when not told). */
  dialect: Dialect = compiled.dialect,
): Statement[] {
  const c = new Conflicts(compiled);
  const groups = new Groups(c, dialect);
  for (const planned of ops) {
    if (planned.tombOnly) continue; // written with the tombstones
    switch (planned.op.action.mode) {
      case "upsert":
        placeUpsert(groups, planned);
        break;
      case "append":
        placeAppend(groups, planned);
        break;
      case "replace":
        placeReplace(groups, planned);
        break;
      default:
        placeUpdateOrDelete(groups, compiled, planned);
        break;
    }
  }
  // Tombstones of the hard deletes (guarded tables).
  const tombs: unknown[][] = [];
  for (const { op, rowKey } of ops) {
    const a = op.action;
    if (a.mode !== "delete" || !a.table.guard || a.guardIndex < 0 || rowKey === undefined) continue;
    const guard = op.values[a.guardIndex];
    if (guard == null) continue;
    tombs.push([tombstoneHash(a.table.name, rowKey), a.table.name, JSON.stringify(op.where), String(guard)]);
  }
  // The counting ops applied, in their tables' `__counted` tables.
  const counted = new Map<string, Buffer[]>();
  for (const { op } of ops) {
    const into = op.action.table.counted;
    if (op.countId === undefined || into === undefined) continue;
    const list = counted.get(into) ?? [];
    if (list.length === 0) counted.set(into, list);
    list.push(countHash(op.countId));
  }
  return [...groups.statements(maxBytes, tombs, counted), ...aggregateStatements(ops, compiled, dialect)];
}

/** Parent keys per aggregate statement: its IN list stays well below the packet. */
const AGGREGATE_KEYS = 1000;

/**
 * The `aggregate:` columns of the parent rows whose children the batch wrote, recomputed from the
 * children as they are after the batch's writes (an aggregate is a function of the current child
 * rows: after the last write it is what the reference has after the last event).
 */
function aggregateStatements(
  ops: readonly PlannedOp[],
  compiled: CompiledSpec,
  dialect: Dialect,
): Statement[] {
  if (compiled.aggregates.size === 0) return [];
  /** parent table → parent key string → its values. */
  const touched = new Map<string, Map<string, readonly unknown[]>>();
  for (const { op, tombOnly } of ops) {
    if (tombOnly) continue;
    const a = op.action;
    const parent = a.table.parent;
    if (parent === undefined || !compiled.aggregates.get(parent)?.some((c) => c.child === a.table)) continue;
    const width = a.table.spec.parent!.columns.length;
    let key: readonly unknown[];
    if (a.mode === "replace") key = op.where;
    else if (a.mode === "upsert" || a.mode === "append")
      key = a.table.spec.parent!.columns.map((c) => op.values[a.columns.findIndex((x) => x.name === c)]);
    // By its primary key (validate sees to it), which starts with the parent columns.
    else key = op.where.slice(0, width);
    if (key.some((v) => v === null || v === undefined)) continue;
    const keys = touched.get(parent) ?? new Map<string, readonly unknown[]>();
    if (keys.size === 0) touched.set(parent, keys);
    keys.set(keyString(key), key);
  }
  const out: Statement[] = [];
  for (const [parent, keys] of touched) {
    const table = compiled.tableByName.get(parent)!;
    const columns = compiled.aggregates.get(parent)!;
    const list = [...keys.values()];
    for (let i = 0; i < list.length; i += AGGREGATE_KEYS)
      out.push(aggregateStatement(table, columns, list.slice(i, i + AGGREGATE_KEYS), dialect));
  }
  return out;
}

/**
 * An upsert. A later upsert of a row in the same statement takes the earlier one's place there (the
 * same columns; newer values the guard lets through, as decideBatch dropped stale ones), when
 * nothing between them touched the row or the unique values either takes or frees.
 */
function placeUpsert(groups: Groups, { op, rowKey, uniques }: PlannedOp): void {
  const c = groups.conflicts;
  const t = op.action.table.name;
  const shape = upsertShape(op.action, op.signature, groups.dialect);
  const rowId = `${t}|${rowKey}`;
  const writes = c.uniques(c.row(t, rowKey!), t, uniques);
  const reads = c.parentRow(t, rowKey);
  const last = groups.last<KeyedGroup>(shape.key);
  const slot = shape.supersede ? last?.slots.get(rowId) : undefined;
  if (slot !== undefined && c.noneAfter(writes, last!.index) && c.noneAfter(reads, last!.index)) {
    const earlier = last!.ops[slot]!;
    const keep = shape.supersede!.keep;
    last!.ops[slot] =
      keep.length === 0 ? op : { ...op, values: keptValues(op, earlier, keep, groups.dialect) };
    c.touch(writes, last!.index);
    return;
  }
  groups.placeKeyed("upsert", shape, writes, rowId, op, reads);
}

/** An append: a plain insert, after whatever wrote its row, its unique values or its parent row. */
function placeAppend(groups: Groups, { op, rowKey, uniques }: PlannedOp): void {
  const c = groups.conflicts;
  const a = op.action;
  const t = a.table.name;
  const shape = insertShape(a);
  const pk = rowKey ?? keyString(a.keyIndexes.map((i) => op.values[i]));
  const g = groups.place<InsertGroup>(
    shape.key,
    c.uniques(c.row(t, pk), t, uniques),
    (index) => ({ kind: "insert", index, shape, rows: [], byParent: new Map() }),
    c.parentRow(t, pk),
  );
  g.rows.push({ lead: [], values: op.values });
}

/**
 * A replace: the parent's children deleted (a group of parents), then the new ones inserted. A
 * later replace of the same parent supersedes an earlier one still open in the last statements:
 * its children are already deleted there; only the inserted set changes.
 */
function placeReplace(groups: Groups, { op, rowKey, uniques, fresh }: PlannedOp): void {
  const c = groups.conflicts;
  const a = op.action;
  const t = a.table.name;
  const parent = a.table.parent!;
  // Deleting the children cascades to their own children, and theirs.
  const writes = c.uniques([c.childSet(t, rowKey!), ...c.under(t)], t, uniques);
  const reads = c.row(parent, rowKey!);
  const delKey = `delete:${t}:${a.where.map((w) => w.name).join()}`;
  const shape = insertShape(a);
  const del = groups.last<DeleteChildrenGroup>(delKey);
  const ins = groups.last<InsertGroup>(shape.key);
  const mine = ins?.byParent.get(rowKey!);
  const addChildren = (into: InsertGroup | undefined) => {
    const g =
      into ??
      groups.place<InsertGroup>(
        shape.key,
        writes,
        (index) => ({ kind: "insert", index, shape, rows: [], byParent: new Map() }),
        reads,
      );
    const at: number[] = [];
    for (const values of op.rows!) {
      at.push(g.rows.length);
      g.rows.push({ lead: op.where, values });
    }
    g.byParent.set(rowKey!, at);
    // Superseding rows land in an existing statement: it now writes this parent's children.
    if (into) c.touch(writes, g.index);
  };
  const end = mine ? ins!.index : del?.index;
  if (
    del?.seen.has(rowKey!) &&
    end !== undefined &&
    c.noneAfter(writes, end) &&
    c.noneAfter(reads, ins?.index ?? end)
  ) {
    if (mine) {
      for (const i of mine) ins!.rows[i] = null;
      ins!.byParent.delete(rowKey!);
    }
    if (op.rows && op.rows.length > 0) addChildren(ins && ins.index >= del.index ? ins : undefined);
    return;
  }
  const d = groups.place<DeleteChildrenGroup>(
    delKey,
    writes,
    (index) => ({ kind: "delete-children", index, op, parents: [], seen: new Set() }),
    reads,
  );
  // A new parent has no children yet: its replace only inserts (the group still orders it).
  if (!fresh) d.parents.push(op.where);
  d.seen.add(rowKey!);
  if (op.rows && op.rows.length > 0) addChildren(undefined);
}

/**
 * An update, soft delete or hard delete: many rows per statement, each at most once (a join would
 * pick one of two rows). A later update of a row with the same shape supersedes the earlier one:
 * same columns, newer values. A row selected by a unique value comes after every write that took
 * or freed that value.
 */
function placeUpdateOrDelete(
  groups: Groups,
  compiled: CompiledSpec,
  { op, rowKey, uniques }: PlannedOp,
): void {
  const c = groups.conflicts;
  const a = op.action;
  const t = a.table.name;
  const shape = a.mode === "delete" ? deleteShape(a) : updateShape(a, op.signature);
  const rowId = `${t}|${rowKey}`;
  const writes = c.uniques(c.row(t, rowKey!), t, uniques);
  if (a.mode === "delete") {
    for (const child of compiled.children.get(t) ?? []) writes.push(c.childSet(child.name, rowKey!));
    writes.push(...c.belowChildren(t));
  }
  const u = whereUnique(a);
  const reads: Conflict[] = u
    ? [
        [
          `${t}|u:${u.name}=${keyString(u.columns.map((col) => op.where[a.where.findIndex((w) => w.name === col)]))}`,
          t,
        ],
      ]
    : [];
  const last = groups.last<KeyedGroup>(shape.key);
  const slot = last?.slots.get(rowId);
  if (slot !== undefined) {
    if (
      a.mode !== "delete" &&
      !uniques?.length &&
      // A set-once column keeps the earlier value, a combined one adds to it: the later update
      // does not supersede it.
      !a.columns.some((col) => col.keepExisting || col.combine) &&
      c.noneAfter(writes, last!.index) &&
      c.noneAfter(reads, last!.index)
    ) {
      last!.ops[slot] = op;
      return;
    }
    groups.close(shape.key);
  }
  groups.placeKeyed(a.mode === "delete" ? "delete" : "update", shape, writes, rowId, op, reads);
}

/**
 * `later`'s values with `earlier`'s in the columns the update leaves alone (keep_existing): what the
 * row holds after both. Both have one statement text, so their `keep` lists name the same columns
 * in the same order, at indexes of their own actions' columns.
 */
function keptValues(
  later: MappedOp,
  earlier: MappedOp,
  keep: readonly number[],
  dialect: Dialect,
): unknown[] {
  const from =
    earlier.action === later.action
      ? keep
      : upsertShape(earlier.action, earlier.signature, dialect).supersede!.keep;
  const values = later.values.slice();
  keep.forEach((i, j) => {
    values[i] = earlier.values[from[j]!];
  });
  return values;
}
