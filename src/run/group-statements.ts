import type { CompiledSpec } from "../compile/compile.js";
import { tombstonesStatement } from "../compile/engine-statements.js";
import type { MappedOp } from "../compile/map-event.js";
import {
  deleteChildrenStatement,
  deleteShape,
  deleteStatement,
  insertShape,
  insertStatement,
  type RowShape,
  type Statement,
  statementBytes,
  updateShape,
  updateStatement,
  upsertShape,
  upsertStatement,
} from "../compile/statements.js";
import { descendantsOf, type PlannedOp, whereUnique } from "./decide.js";
import { keyString, parentKeyString, tombstoneHash } from "./row-state.js";

/** Statements are kept below this many bytes unless the sink knows the server's max_allowed_packet. */
export const DEFAULT_STATEMENT_BYTES = 4 << 20;

type Group =
  /** Upserts, updates and hard deletes of many rows (slots: row → its last index in ops). */
  | {
      kind: "upsert" | "update" | "delete";
      index: number;
      shape: RowShape;
      ops: MappedOp[];
      slots: Map<string, number>;
    }
  | {
      kind: "insert";
      index: number;
      shape: RowShape;
      /** Rows; null once superseded by a later replace of the same parent. */
      rows: ({ lead: readonly unknown[]; values: readonly unknown[] } | null)[];
      /** replace: parent key → indexes of its rows. */
      byParent: Map<string, number[]>;
    }
  | {
      kind: "delete-children";
      index: number;
      op: MappedOp;
      parents: (readonly unknown[])[];
      seen: Set<string>;
    };

type KeyedGroup = Extract<Group, { slots: Map<string, number> }>;

const NO_KEYS: [string, string][] = [];

/**
 * Turns the planned operations into as few statements as possible while keeping per-row order:
 * an operation joins the last statement of its shape only if no later statement touches the rows
 * it touches or depends on. Rows are tracked as `table|key`; `table|*` stands for a whole table
 * (cascades two levels down).
 */
export function buildStatements(
  ops: readonly PlannedOp[],
  compiled: CompiledSpec,
  maxBytes = DEFAULT_STATEMENT_BYTES,
): Statement[] {
  const groups: Group[] = [];
  const lastOfShape = new Map<string, Group>();
  /** conflict key → index of the last group touching it. */
  const touched = new Map<string, number>();

  const lastTouch = (key: string, table: string): number =>
    Math.max(
      touched.get(key) ?? -1,
      touched.get(`${table}|*`) ?? -1,
      key.endsWith("|*") ? (touched.get(`${table}|any`) ?? -1) : -1,
    );
  const touch = (key: string, table: string, index: number) => {
    if ((touched.get(key) ?? -1) < index) touched.set(key, index);
    if (!key.endsWith("|*") && (touched.get(`${table}|any`) ?? -1) < index)
      touched.set(`${table}|any`, index);
  };

  /**
   * Finds (or opens) the group for `shapeKey` that can take an op writing the rows `keys` and
   * reading the rows `reads` (a child insert reads its parent: the foreign key). Reads must not
   * move before a write of the same row; only writes are recorded.
   */
  const place = (
    shapeKey: string | undefined,
    keys: readonly [string, string][],
    open: (index: number) => Group,
    reads: readonly [string, string][] = [],
  ): Group => {
    const candidate = shapeKey === undefined ? undefined : lastOfShape.get(shapeKey);
    let group: Group | undefined;
    const fits = ([k, t]: [string, string]) => lastTouch(k, t) <= candidate!.index;
    if (candidate && keys.every(fits) && reads.every(fits)) group = candidate;
    if (!group) {
      group = open(groups.length);
      groups.push(group);
      if (shapeKey !== undefined) lastOfShape.set(shapeKey, group);
    }
    for (const [k, t] of keys) touch(k, t, group.index);
    return group;
  };

  /** Places an upsert, update or delete of one row, remembering where in its group the row is. */
  const placeKeyed = (
    kind: KeyedGroup["kind"],
    shape: RowShape,
    keys: readonly [string, string][],
    rowId: string,
    op: MappedOp,
    reads: readonly [string, string][] = [],
  ) => {
    const g = place(
      shape.key,
      keys,
      (index) => ({
        kind,
        index,
        shape,
        ops: [],
        slots: new Map(),
      }),
      reads,
    ) as KeyedGroup;
    g.slots.set(rowId, g.ops.length);
    g.ops.push(op);
  };

  /** Unique values an op takes or frees, as conflict keys (added to `keys`). */
  const withUniques = (keys: [string, string][], t: string, uniques: readonly string[] | undefined) => {
    if (uniques) for (const u of uniques) keys.push([`${t}|u:${u}`, t]);
    return keys;
  };
  /**
   * A row as conflict keys: itself, and for a child row the child set it belongs to (a replace
   * writes the whole set).
   */
  const rowKeys = (t: string, rowKey: string): [string, string][] => {
    const n = compiled.tableByName.get(t)?.spec.parent?.columns.length;
    const own: [string, string] = [`${t}|${rowKey}`, t];
    return n ? [own, [`${t}|p:${parentKeyString(rowKey, n)}`, t]] : [own];
  };
  /** The parent row a child row needs (its foreign key): it must not move before the parent's write. */
  const parentRow = (t: string, rowKey: string | undefined): [string, string][] => {
    const parent = compiled.tableByName.get(t)?.spec.parent;
    if (!parent || rowKey === undefined) return NO_KEYS;
    return rowKeys(parent.table, parentKeyString(rowKey, parent.columns.length));
  };
  /** What deleting rows of `t` cascades to, beyond its direct children's sets: every deeper table. */
  const deeper = (t: string): [string, string][] =>
    (compiled.children.get(t) ?? []).flatMap((c) =>
      descendantsOf(compiled, c.name).map((d): [string, string] => [`${d.name}|*`, d.name]),
    );

  for (const { op, rowKey, uniques, fresh, tombOnly } of ops) {
    if (tombOnly) continue; // written with the tombstones below
    const a = op.action;
    const t = a.table.name;
    switch (a.mode) {
      case "upsert": {
        const shape = upsertShape(a, op.signature);
        const rowId = `${t}|${rowKey}`;
        const keys: [string, string][] = withUniques(rowKeys(t, rowKey!), t, uniques);
        const reads = parentRow(t, rowKey);
        // A later upsert of a row in the same statement takes the earlier one's place there (the
        // same columns; newer values the guard lets through, as decideBatch dropped stale ones),
        // when nothing between them touched the row or the unique values either takes or frees.
        const last = lastOfShape.get(shape.key) as KeyedGroup | undefined;
        const slot = shape.supersede ? last?.slots.get(rowId) : undefined;
        if (
          slot !== undefined &&
          keys.every(([k, kt]) => lastTouch(k, kt) <= last!.index) &&
          reads.every(([k, kt]) => lastTouch(k, kt) <= last!.index)
        ) {
          const earlier = last!.ops[slot]!;
          const keep = shape.supersede!.keep;
          last!.ops[slot] = keep.length === 0 ? op : { ...op, values: keptValues(op, earlier, keep) };
          for (const [k, kt] of keys) touch(k, kt, last!.index);
          break;
        }
        placeKeyed("upsert", shape, keys, rowId, op, reads);
        break;
      }
      case "append": {
        const shape = insertShape(a);
        const pk = rowKey ?? keyString(a.keyIndexes.map((i) => op.values[i]));
        const g = place(
          shape.key,
          withUniques(rowKeys(t, pk), t, uniques),
          (index) => ({
            kind: "insert",
            index,
            shape,
            rows: [],
            byParent: new Map(),
          }),
          parentRow(t, pk),
        ) as Extract<Group, { kind: "insert" }>;
        g.rows.push({ lead: [], values: op.values });
        break;
      }
      case "replace": {
        const parent = a.table.parent!;
        const childKey = `${t}|p:${rowKey}`;
        // Deleting the children cascades to their own children, and theirs.
        const keys: [string, string][] = [
          [childKey, t],
          ...descendantsOf(compiled, t).map((d): [string, string] => [`${d.name}|*`, d.name]),
        ];
        withUniques(keys, t, uniques);
        const reads = rowKeys(parent, rowKey!);
        const delKey = `delete:${t}:${a.where.map((w) => w.name).join()}`;
        const shape = insertShape(a);
        const del = lastOfShape.get(delKey) as Extract<Group, { kind: "delete-children" }> | undefined;
        const ins = lastOfShape.get(shape.key) as Extract<Group, { kind: "insert" }> | undefined;
        const mine = ins?.byParent.get(rowKey!);
        // A later replace of the same parent supersedes an earlier one still open in the last
        // statements: its children are already deleted there; only the inserted set changes.
        const end = mine ? ins!.index : del?.index;
        if (
          del?.seen.has(rowKey!) &&
          end !== undefined &&
          keys.every(([k, kt]) => lastTouch(k, kt) <= end) &&
          reads.every(([k, kt]) => lastTouch(k, kt) <= (ins?.index ?? end))
        ) {
          if (mine) {
            for (const i of mine) ins!.rows[i] = null;
            ins!.byParent.delete(rowKey!);
          }
          if (op.rows && op.rows.length > 0) addChildren(ins && ins.index >= del.index ? ins : undefined);
          break;
        }
        const d = place(
          delKey,
          keys,
          (index) => ({ kind: "delete-children", index, op, parents: [], seen: new Set() }),
          reads,
        ) as Extract<Group, { kind: "delete-children" }>;
        // A new parent has no children yet: its replace only inserts (the group still orders it).
        if (!fresh) d.parents.push(op.where);
        d.seen.add(rowKey!);
        if (op.rows && op.rows.length > 0) addChildren(undefined);
        function addChildren(into: Extract<Group, { kind: "insert" }> | undefined) {
          const g =
            into ??
            (place(
              shape.key,
              keys,
              (index) => ({ kind: "insert", index, shape, rows: [], byParent: new Map() }),
              reads,
            ) as Extract<Group, { kind: "insert" }>);
          const at: number[] = [];
          for (const values of op.rows!) {
            at.push(g.rows.length);
            g.rows.push({ lead: op.where, values });
          }
          g.byParent.set(rowKey!, at);
          // Superseding rows land in an existing statement: it now writes this parent's children.
          if (into) for (const [k, kt] of keys) touch(k, kt, g.index);
        }
        break;
      }
      case "update":
      case "soft_delete":
      case "delete": {
        // Many rows per statement, each at most once (a join would pick one of two rows). A later
        // update of a row with the same shape supersedes the earlier one: same columns, newer values.
        const shape = a.mode === "delete" ? deleteShape(a) : updateShape(a, op.signature);
        const rowId = `${t}|${rowKey}`;
        const keys: [string, string][] = withUniques(rowKeys(t, rowKey!), t, uniques);
        if (a.mode === "delete") {
          for (const child of compiled.children.get(t) ?? [])
            keys.push([`${child.name}|p:${rowKey}`, child.name]);
          keys.push(...deeper(t));
        }
        // A row selected by a unique value: after every write that took or freed that value.
        const u = whereUnique(a);
        const reads: [string, string][] = u
          ? [
              [
                `${t}|u:${u.name}=${keyString(u.columns.map((c) => op.where[a.where.findIndex((w) => w.name === c)]))}`,
                t,
              ],
            ]
          : [];
        const last = lastOfShape.get(shape.key) as KeyedGroup | undefined;
        const slot = last?.slots.get(rowId);
        if (slot !== undefined) {
          if (
            a.mode !== "delete" &&
            !uniques?.length &&
            keys.every(([k, kt]) => lastTouch(k, kt) <= last!.index) &&
            reads.every(([k, kt]) => lastTouch(k, kt) <= last!.index)
          ) {
            last!.ops[slot] = op;
            break;
          }
          lastOfShape.delete(shape.key);
        }
        placeKeyed(a.mode === "delete" ? "delete" : "update", shape, keys, rowId, op, reads);
        break;
      }
    }
  }

  const out: Statement[] = [];
  /**
   * Rows of one group may be written by consecutive statements of the same shape (they are in the
   * same order, and nothing else runs between them): a group too big for the server's packet is
   * split in halves until every part fits. A part of one row that is still too big is left to fail
   * on its own (the sink refuses it; its event is isolated and dead-lettered).
   */
  const emit = <T>(items: readonly T[], build: (items: readonly T[]) => Statement | undefined) => {
    const s = build(items);
    if (s === undefined || s.params.length === 0) return;
    if (items.length > 1 && statementBytes(s) > maxBytes) {
      const mid = items.length >> 1;
      emit(items.slice(0, mid), build);
      emit(items.slice(mid), build);
    } else out.push(s);
  };
  for (const g of groups) {
    switch (g.kind) {
      case "upsert":
        emit(g.ops, (ops) => upsertStatement(g.shape, ops));
        break;
      case "update":
        emit(g.ops, (ops) => updateStatement(g.shape, ops));
        break;
      case "delete":
        emit(g.ops, (ops) => deleteStatement(g.shape, ops));
        break;
      case "insert":
        emit(
          g.rows.filter((r) => r !== null),
          (rows) => (rows.length > 0 ? insertStatement(g.shape, rows) : undefined),
        );
        break;
      case "delete-children":
        emit(g.parents, (parents) =>
          parents.length > 0 ? deleteChildrenStatement(g.op.action, parents) : undefined,
        );
        break;
    }
  }
  // Tombstones of the hard deletes (guarded tables): read when a later batch decides, so they go last.
  const tombs: unknown[][] = [];
  for (const { op, rowKey } of ops) {
    const a = op.action;
    if (a.mode !== "delete" || !a.table.guard || a.guardIndex < 0 || rowKey === undefined) continue;
    const guard = op.values[a.guardIndex];
    if (guard == null) continue;
    tombs.push([tombstoneHash(a.table.name, rowKey), a.table.name, JSON.stringify(op.where), String(guard)]);
  }
  emit(tombs, tombstoneStatement);
  return out;
}

/**
 * `later`'s values with `earlier`'s in the columns the update leaves alone (keep_existing): what the
 * row holds after both. Both have one statement text, so their `keep` lists name the same columns
 * in the same order, at indexes of their own actions' columns.
 */
function keptValues(later: MappedOp, earlier: MappedOp, keep: readonly number[]): unknown[] {
  const from =
    earlier.action === later.action ? keep : upsertShape(earlier.action, earlier.signature).supersede!.keep;
  const values = later.values.slice();
  keep.forEach((i, j) => {
    values[i] = earlier.values[from[j]!];
  });
  return values;
}

/** The tombstone rows' statement, or none without rows. */
function tombstoneStatement(rows: readonly unknown[][]): Statement | undefined {
  return rows.length === 0 ? undefined : tombstonesStatement(rows);
}
