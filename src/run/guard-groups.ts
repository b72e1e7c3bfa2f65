import type { CompiledAction } from "../compile/compile.js";
import type { MappedOp } from "../compile/map-event.js";
import { ABSENT } from "../values/json-path.js";
import { compareGuard } from "./row-state.js";

/**
 * Guard groups (`guards:`): which of an op's groups are older than the row's, and the op without
 * their columns. The reference interpreter and the planner decide with these, the same way.
 */

/**
 * Per group of the action, whether the op writes it and is older than the row there (`current`
 * gives the row's value of a guard column; null: never written, so not older).
 */
export function staleGroups(
  a: CompiledAction,
  values: readonly unknown[],
  current: (guard: string) => unknown,
): boolean[] {
  return a.groups.map((g) => {
    if (g.guardIndex < 0) return false;
    const v = values[g.guardIndex];
    if (v === ABSENT || v === null || v === undefined) return false;
    const row = current(g.guard);
    return row !== null && row !== undefined && compareGuard(v, row) < 0;
  });
}

/** Whether the op writes anything of group `i` (its guard, or a covered column). */
export function writesGroup(a: CompiledAction, values: readonly unknown[], i: number): boolean {
  const g = a.groups[i]!;
  return (
    (g.guardIndex >= 0 && values[g.guardIndex] !== ABSENT) || g.covered.some((c) => values[c] !== ABSENT)
  );
}

/**
 * The op without what an older event may not write: the columns of the stale groups, and, when the
 * table's own guard is stale (`mainStale`), every column outside the groups but the key. Undefined
 * when nothing is left to write but the key.
 */
export function maskedOp(op: MappedOp, stale: readonly boolean[], mainStale: boolean): MappedOp | undefined {
  const a = op.action;
  const drop = new Set<number>();
  a.groups.forEach((g, i) => {
    if (!stale[i]) return;
    if (g.guardIndex >= 0) drop.add(g.guardIndex);
    for (const c of g.covered) drop.add(c);
  });
  if (mainStale) {
    const grouped = new Set(a.groups.flatMap((g) => [g.guardIndex, ...g.covered]));
    a.columns.forEach((_, i) => {
      if (!grouped.has(i) && !a.keyIndexes.includes(i)) drop.add(i);
    });
  }
  if (drop.size === 0) return op;
  const values = op.values.map((v, i) => (drop.has(i) ? ABSENT : v));
  const keys = new Set(a.keyIndexes);
  if (!values.some((v, i) => v !== ABSENT && !keys.has(i))) return undefined;
  let signature = "";
  for (const v of values) signature += v === ABSENT ? "0" : "1";
  return { ...op, values, signature };
}

/** What of an op an existing row takes (see freshness). */
export interface Freshness {
  /** Every group the op writes is older than the row's: nothing is written (the op is stale). */
  readonly allStale: boolean;
  /** The table's own guard is older: the columns outside the groups are not written. */
  readonly mainStale: boolean;
  /** Per group of the action: older than the row's. */
  readonly stale: readonly boolean[];
  /** Whether column `i` of the op is written. */
  writes(i: number): boolean;
}

/**
 * What of an op an existing row takes: each group it writes (the table's guard, and `guards:`) is
 * stale when the event's guard value there is older than the row's (`rowGuard`, `current`); the op
 * is stale when nothing it writes is fresh. Without groups: stale when its guard is older, as ever.
 */
export function freshness(
  op: MappedOp,
  guard: unknown,
  rowGuard: unknown,
  current: (guard: string) => unknown,
): Freshness {
  const a = op.action;
  const mainStale =
    a.table.guard !== undefined &&
    guard !== undefined &&
    rowGuard != null &&
    compareGuard(guard, rowGuard) < 0;
  if (a.groups.length === 0) return { allStale: mainStale, mainStale, stale: [], writes: () => !mainStale };
  const stale = staleGroups(a, op.values, current);
  const grouped = new Map<number, number>();
  a.groups.forEach((g, gi) => {
    if (g.guardIndex >= 0) grouped.set(g.guardIndex, gi);
    for (const c of g.covered) grouped.set(c, gi);
  });
  const written = a.groups.map((_, gi) => writesGroup(a, op.values, gi));
  // The columns outside the groups (the table's guard's): written when the op has any but the key.
  const keys = new Set(a.keyIndexes);
  const mainWrites = op.values.some((v, i) => v !== ABSENT && !grouped.has(i) && !keys.has(i));
  const anyFresh = (mainWrites && !mainStale) || written.some((w, gi) => w && !stale[gi]);
  return {
    allStale: !anyFresh && (mainStale || written.some((w, gi) => w && stale[gi])),
    mainStale,
    stale,
    writes: (i) => {
      const gi = grouped.get(i);
      return gi === undefined ? !mainStale : !stale[gi];
    },
  };
}
