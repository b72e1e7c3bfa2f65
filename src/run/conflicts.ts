import type { CompiledSpec } from "../compile/compile.js";
import { descendantsOf } from "./decide.js";
import { parentKeyString } from "./row-state.js";

/**
 * Something two writes of one batch may both touch, as text, with its table: a row
 * (`table|key`), the set of child rows under a parent row (`table|p:parentKey`, written whole by a
 * replace), a unique value (`table|u:name=value`), or every row of a table (`table|*`: a cascade
 * two levels down). Writes that touch one keep their order across statements.
 */
export type Conflict = readonly [key: string, table: string];

/**
 * Which statement group last touched what: the statement grouping's memory of the batch so far. A
 * write may join a group only if nothing it touches (or reads) was touched by a later group.
 */
export class Conflicts {
  /** conflict key → index of the last group touching it. */
  private readonly touched = new Map<string, number>();

  constructor(private readonly compiled: CompiledSpec) {}

  /** The last group that touched `c`, or its whole table (-1: none). A whole table counts any row of it. */
  last([key, table]: Conflict): number {
    return Math.max(
      this.touched.get(key) ?? -1,
      this.touched.get(`${table}|*`) ?? -1,
      key.endsWith("|*") ? (this.touched.get(`${table}|any`) ?? -1) : -1,
    );
  }

  /** Whether nothing of `cs` was touched after group `index`. */
  noneAfter(cs: readonly Conflict[], index: number): boolean {
    for (const c of cs) if (this.last(c) > index) return false;
    return true;
  }

  /** Group `index` touches `cs`. */
  touch(cs: readonly Conflict[], index: number): void {
    for (const [key, table] of cs) {
      if ((this.touched.get(key) ?? -1) < index) this.touched.set(key, index);
      if (!key.endsWith("|*") && (this.touched.get(`${table}|any`) ?? -1) < index)
        this.touched.set(`${table}|any`, index);
    }
  }

  /** A row: itself, and for a child row the set of its parent's children (a replace writes it whole). */
  row(table: string, rowKey: string): Conflict[] {
    const n = this.compiled.tableByName.get(table)?.spec.parent?.columns.length;
    const own: Conflict = [`${table}|${rowKey}`, table];
    return n ? [own, [`${table}|p:${parentKeyString(rowKey, n)}`, table]] : [own];
  }

  /** The children of one parent row in a child table. */
  childSet(table: string, parentKey: string): Conflict {
    return [`${table}|p:${parentKey}`, table];
  }

  /** Unique values (`name=value`) taken or given up, added to `into`. */
  uniques(into: Conflict[], table: string, values: readonly string[] | undefined): Conflict[] {
    if (values) for (const u of values) into.push([`${table}|u:${u}`, table]);
    return into;
  }

  /** The parent row a child row needs (its foreign key): the child's write must not move before it. */
  parentRow(table: string, rowKey: string | undefined): Conflict[] {
    const parent = this.compiled.tableByName.get(table)?.spec.parent;
    if (!parent || rowKey === undefined) return [];
    return this.row(parent.table, parentKeyString(rowKey, parent.columns.length));
  }

  /** Every row of every table under `table` (children, theirs, …). */
  under(table: string): Conflict[] {
    return descendantsOf(this.compiled, table).map((d): Conflict => [`${d.name}|*`, d.name]);
  }

  /** Every row of the tables under `table`'s children: what deleting its rows cascades to past their child sets. */
  belowChildren(table: string): Conflict[] {
    return (this.compiled.children.get(table) ?? []).flatMap((c) => this.under(c.name));
  }
}
