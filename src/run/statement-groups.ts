import type { MappedOp } from "../compile/map-event.js";
import type { Plan } from "../compile/plan.js";
import {
  deleteChildrenStatement,
  deleteStatement,
  insertShape,
  insertStatement,
  type RowShape,
  type Statement,
  updateShape,
  updateStatement,
  upsertShape,
  upsertStatement,
} from "../compile/statements.js";
import type { PlannedOp } from "./batch-plan.js";

type Group =
  | { kind: "upsert"; index: number; shape: RowShape; ops: MappedOp[] }
  | { kind: "update"; index: number; shape: RowShape; ops: MappedOp[]; keys: Set<string> }
  | {
      kind: "insert";
      index: number;
      shape: RowShape;
      rows: { lead: readonly unknown[]; values: readonly unknown[] }[];
    }
  | { kind: "delete-children"; index: number; op: MappedOp; parents: (readonly unknown[])[] }
  | { kind: "single"; index: number; op: MappedOp };

/**
 * Turns the planned operations into as few statements as possible while keeping per-row order:
 * an operation joins the last statement of its shape only if no later statement touches the rows
 * it touches or depends on. Rows are tracked as `table|key`; `table|*` stands for a whole table
 * (cascades two levels down).
 */
export function buildStatements(ops: readonly PlannedOp[], plan: Plan): Statement[] {
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

  /** Finds (or opens) the group for `shapeKey` that can take an op touching `keys`. */
  const place = (
    shapeKey: string | undefined,
    keys: readonly [string, string][],
    open: (index: number) => Group,
  ): Group => {
    const candidate = shapeKey === undefined ? undefined : lastOfShape.get(shapeKey);
    let group: Group | undefined;
    if (candidate && keys.every(([k, t]) => lastTouch(k, t) <= candidate.index)) group = candidate;
    if (!group) {
      group = open(groups.length);
      groups.push(group);
      if (shapeKey !== undefined) lastOfShape.set(shapeKey, group);
    }
    for (const [k, t] of keys) touch(k, t, group.index);
    return group;
  };

  for (const { op, rowKey } of ops) {
    const a = op.action;
    const t = a.table.name;
    switch (a.mode) {
      case "upsert": {
        const shape = upsertShape(a, op.signature);
        const g = place(shape.key, [[`${t}|${rowKey}`, t]], (index) => ({
          kind: "upsert",
          index,
          shape,
          ops: [],
        }));
        (g as Extract<Group, { kind: "upsert" }>).ops.push(op);
        break;
      }
      case "append": {
        const shape = insertShape(a);
        const pk = a.keyIndexes.map((i) => String(op.values[i])).join("\u0001");
        const g = place(shape.key, [[`${t}|${pk}`, t]], (index) => ({
          kind: "insert",
          index,
          shape,
          rows: [],
        }));
        (g as Extract<Group, { kind: "insert" }>).rows.push({ lead: [], values: op.values });
        break;
      }
      case "replace": {
        const parent = a.table.parent!;
        const keys: [string, string][] = [
          [`${t}|p:${rowKey}`, t],
          [`${parent}|${rowKey}`, parent],
        ];
        const del = place(`delete:${t}:${a.where.map((w) => w.name).join()}`, keys, (index) => ({
          kind: "delete-children",
          index,
          op,
          parents: [],
        }));
        (del as Extract<Group, { kind: "delete-children" }>).parents.push(op.where);
        if (op.rows && op.rows.length > 0) {
          const shape = insertShape(a);
          const g = place(shape.key, keys, (index) => ({ kind: "insert", index, shape, rows: [] }));
          for (const values of op.rows)
            (g as Extract<Group, { kind: "insert" }>).rows.push({ lead: op.where, values });
        }
        break;
      }
      case "update":
      case "soft_delete": {
        // Updates of one shape share a statement, but never two of the same row (a join would pick one).
        const shape = updateShape(a, op.signature);
        const rowId = `${t}|${rowKey}`;
        const last = lastOfShape.get(shape.key) as Extract<Group, { kind: "update" }> | undefined;
        if (last?.keys.has(rowId)) lastOfShape.delete(shape.key);
        const g = place(shape.key, [[rowId, t]], (index) => ({
          kind: "update",
          index,
          shape,
          ops: [],
          keys: new Set(),
        })) as Extract<Group, { kind: "update" }>;
        g.ops.push(op);
        g.keys.add(rowId);
        break;
      }
      default: {
        const keys: [string, string][] = [[`${t}|${rowKey}`, t]];
        if (a.mode === "delete") {
          for (const child of plan.tables.filter((c) => c.parent === t)) {
            keys.push([`${child.name}|p:${rowKey}`, child.name]);
            for (const grandchild of plan.tables.filter((c) => c.parent === child.name))
              keys.push([`${grandchild.name}|*`, grandchild.name]);
          }
        }
        place(undefined, keys, (index) => ({ kind: "single", index, op }));
      }
    }
  }

  return groups.map((g) => {
    switch (g.kind) {
      case "upsert":
        return upsertStatement(g.shape, g.ops);
      case "update":
        return updateStatement(g.shape, g.ops);
      case "insert":
        return insertStatement(g.shape, g.rows);
      case "delete-children":
        return deleteChildrenStatement(g.op.action, g.parents);
      case "single":
        return deleteStatement(g.op);
    }
  });
}
