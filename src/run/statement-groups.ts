import type { MappedOp } from "../compile/map-event.js";
import type { Dialect } from "../compile/sql.js";
import {
  deleteChildrenStatement,
  deleteStatement,
  insertStatement,
  type RowShape,
  type Statement,
  statementBytes,
  updateStatement,
  upsertStatement,
} from "../compile/statements.js";
import { insertCountedStatement } from "../store/counted.js";
import { tombstonesStatement } from "../store/tombstones.js";
import type { Conflict, Conflicts } from "./conflicts.js";

/** Upserts, updates and hard deletes of many rows (slots: row → its last index in ops). */
export interface KeyedGroup {
  readonly kind: "upsert" | "update" | "delete";
  readonly index: number;
  readonly shape: RowShape;
  readonly ops: MappedOp[];
  readonly slots: Map<string, number>;
}

/** Plain inserts: appends, and the new children of replaces. */
export interface InsertGroup {
  readonly kind: "insert";
  readonly index: number;
  readonly shape: RowShape;
  /** Rows; null once superseded by a later replace of the same parent. */
  readonly rows: ({ lead: readonly unknown[]; values: readonly unknown[] } | null)[];
  /** replace: parent key → indexes of its rows. */
  readonly byParent: Map<string, number[]>;
}

/** The first half of replaces: the children of these parents deleted. */
export interface DeleteChildrenGroup {
  readonly kind: "delete-children";
  readonly index: number;
  readonly op: MappedOp;
  readonly parents: (readonly unknown[])[];
  readonly seen: Set<string>;
}

export type Group = KeyedGroup | InsertGroup | DeleteChildrenGroup;

/**
 * The statement groups of a batch, in order: each becomes one statement (or a few, split to fit
 * the packet). A write joins the last group of its shape when nothing it touches or reads was
 * touched by a later group (Conflicts); else it opens a new group at the end.
 */
export class Groups {
  private readonly list: Group[] = [];
  private readonly lastOfShape = new Map<string, Group>();

  constructor(
    readonly conflicts: Conflicts,
    /** The server's dialect: the statements' forms follow it. */
    readonly dialect: Dialect,
  ) {}

  /** The last group of a shape, if any. */
  last<G extends Group>(shapeKey: string): G | undefined {
    return this.lastOfShape.get(shapeKey) as G | undefined;
  }

  /** Later writes of this shape open a group of their own (after one that could not join). */
  close(shapeKey: string): void {
    this.lastOfShape.delete(shapeKey);
  }

  /**
   * Finds (or opens) the group for `shapeKey` that can take a write touching `writes` and reading
   * `reads` (a child insert reads its parent: the foreign key). Reads must not move before a write
   * of the same thing; only writes are recorded.
   */
  place<G extends Group>(
    shapeKey: string,
    writes: readonly Conflict[],
    open: (index: number) => G,
    reads: readonly Conflict[] = [],
  ): G {
    const c = this.conflicts;
    const candidate = this.lastOfShape.get(shapeKey);
    let group =
      candidate && c.noneAfter(writes, candidate.index) && c.noneAfter(reads, candidate.index)
        ? (candidate as G)
        : undefined;
    if (!group) {
      group = open(this.list.length);
      this.list.push(group);
      this.lastOfShape.set(shapeKey, group);
    }
    c.touch(writes, group.index);
    return group;
  }

  /** Places an upsert, update or delete of one row, remembering where in its group the row is. */
  placeKeyed(
    kind: KeyedGroup["kind"],
    shape: RowShape,
    writes: readonly Conflict[],
    rowId: string,
    op: MappedOp,
    reads: readonly Conflict[] = [],
  ): void {
    const g = this.place<KeyedGroup>(
      shape.key,
      writes,
      (index) => ({ kind, index, shape, ops: [], slots: new Map() }),
      reads,
    );
    g.slots.set(rowId, g.ops.length);
    g.ops.push(op);
  }

  /**
   * The statements, in the groups' order, then the tombstones' (read when a later batch decides, so
   * they go last). Rows of one group may be written by consecutive statements of the same shape
   * (they are in the same order, and nothing else runs between them): a group too big for the
   * server's packet is split in halves until every part fits. A part of one row that is still too
   * big is left to fail on its own (the sink refuses it; its event is isolated and dead-lettered).
   */
  statements(
    maxBytes: number,
    tombs: readonly unknown[][],
    counted: ReadonlyMap<string, readonly Buffer[]> = new Map(),
  ): Statement[] {
    const out: Statement[] = [];
    const emit = <T>(items: readonly T[], build: (items: readonly T[]) => Statement | undefined) => {
      const s = build(items);
      if (s === undefined || s.params.length === 0) return;
      if (items.length > 1 && statementBytes(s) > maxBytes) {
        const mid = items.length >> 1;
        emit(items.slice(0, mid), build);
        emit(items.slice(mid), build);
      } else out.push(s);
    };
    for (const g of this.list) {
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
    emit(tombs, (rows) => (rows.length === 0 ? undefined : tombstonesStatement(rows, this.dialect)));
    for (const [quoted, hashes] of counted) emit(hashes, (h) => insertCountedStatement(quoted, h));
    return out;
  }
}
