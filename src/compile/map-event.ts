import { excerpt } from "../core/text.js";
import { CoerceFailure } from "../values/coerce.js";
import { ABSENT } from "../values/json-path.js";
import { PathLimitError } from "../values/json-path-query.js";
import type { CompiledAction, CompiledColumn, CompiledEvent } from "./compile.js";

/**
 * Most values (rows × their columns, the parent key included) the `replace` actions of one event
 * may map to: the rows are held, decided and sent in one piece, 150-200 bytes a value, so this
 * bounds what one event costs in memory (a 4 MB array of 2 million elements took 1.2 GB). A larger
 * event is dead-lettered, refused before a row of it is mapped.
 */
export const MAX_EVENT_VALUES = 250_000;

/** One row operation produced from an event: values aligned with the action's columns. */
export interface MappedOp {
  readonly action: CompiledAction;
  /** Per action.columns; ABSENT where the path matched nothing. (replace: unused, see rows.) */
  readonly values: readonly unknown[];
  /** Per action.where. */
  readonly where: readonly unknown[];
  /** replace: one value list per element, aligned with action.columns. */
  readonly rows: readonly (readonly unknown[])[] | undefined;
  /** Which columns are present ("1") or absent ("0"): rows with equal signatures share a statement. */
  readonly signature: string;
  /**
   * A counting action's op (action.counted): what identifies it across redeliveries, the event's
   * type, event_id and the action's index. It is applied once per table.
   */
  readonly countId?: string;
}

/** Why an event cannot be mapped: names the table, column and path. Goes to the dead letters. */
export class MapError {
  constructor(readonly reason: string) {}
}

/**
 * Whether the event does not meet its event type's `when` (checked before mapping): it is counted
 * as filtered, and nothing of it is written.
 */
export function filteredOut(actions: CompiledEvent, envelope: unknown): boolean {
  return actions.when !== undefined && !actions.when(envelope, undefined, 0);
}

/** The ops of an event; `filtered` counts its actions whose `when` it did not meet. */
export type MappedOps = MappedOp[] & { filtered?: number };

function fail(action: CompiledAction, col: CompiledColumn, message: string): MapError {
  return new MapError(`${action.table.name}.${col.name} ← ${col.source}: ${message}`);
}

/** What an exception thrown while mapping says in the event's reason. */
function thrown(e: unknown): string {
  if (e instanceof PathLimitError) return e.message;
  return e instanceof Error ? `${e.name}: ${e.message}` : `thrown: ${String(e)}`;
}

/** Reads and coerces one column; returns the bound value, ABSENT, or a MapError. */
function read(
  action: CompiledAction,
  col: CompiledColumn,
  envelope: unknown,
  element: unknown,
  key: string | number,
  required: boolean,
): unknown {
  try {
    const raw = col.get(envelope, element, key);
    if (raw === ABSENT)
      return required ? fail(action, col, `is missing (${requiredWhy(action, col)})`) : ABSENT;
    if (raw === null || raw === undefined) {
      // Nothing to combine: the row's value stays (a new row takes the column's default).
      if (col.combine !== undefined) return ABSENT;
      if (required) return fail(action, col, `is null (${requiredWhy(action, col)})`);
      return col.nullable ? null : fail(action, col, "is null, but the column is NOT NULL");
    }
    const value = col.coerce(raw);
    if (value instanceof CoerceFailure) return fail(action, col, value.message);
    // Subtracting is adding the opposite: a new row starts at -value.
    return col.combine === "subtract" ? negated(value) : value;
  } catch (e) {
    // Pure work on this event: it fails the same way every time, so it is this event's letter.
    return fail(action, col, thrown(e));
  }
}

/** The opposite of a coerced number (a JS number, or a decimal's exact text). */
function negated(v: unknown): unknown {
  if (typeof v === "number") return v === 0 ? 0 : -v;
  const s = String(v);
  if (/^-?0*(\.0*)?$/.test(s)) return s.replace(/^-/, "");
  return s.startsWith("-") ? s.slice(1) : `-${s}`;
}

/** Why a column must have a value: it is part of the key, or the table's guard. */
function requiredWhy(action: CompiledAction, col: CompiledColumn): string {
  const guard = action.guardIndex >= 0 && action.columns[action.guardIndex] === col;
  if (guard) return "it is the table's guard";
  return action.groups.some((g) => action.columns[g.guardIndex] === col)
    ? "it guards a group of columns"
    : "it is part of the key";
}

function readRow(
  action: CompiledAction,
  envelope: unknown,
  element: unknown,
  key: string | number,
  out: unknown[],
): MapError | string {
  const cols = action.columns;
  let signature: string | undefined;
  for (let i = 0; i < cols.length; i++) {
    const v = read(action, cols[i]!, envelope, element, key, action.required[i]!);
    if (v instanceof MapError) return v;
    if (v === ABSENT && signature === undefined) signature = action.fullSignature.slice(0, i);
    if (signature !== undefined) signature += v === ABSENT ? "0" : "1";
    out[i] = v;
  }
  if (signature === undefined) return action.fullSignature;
  for (const i of action.insertRequired)
    if (out[i] === ABSENT)
      return fail(action, cols[i]!, "is missing, and the column is NOT NULL with no default");
  return signature;
}

/**
 * Maps an envelope through the actions of its event type (see filteredOut for the type's `when`).
 * Pure; a value that does not fit is a MapError for the whole event (an event is applied entirely
 * or not at all); an action whose `when` the event does not match is left out, and counted.
 */
export function mapEvent(actions: CompiledEvent, envelope: unknown): MappedOps | MapError {
  try {
    return mapActions(actions, envelope);
  } catch (e) {
    // A `when` or a for_each path that threw (read() catches the columns' own): the event's letter.
    return new MapError(`mapping the event failed: ${thrown(e)}`);
  }
}

/** The values (rows × columns, parent key included) of an event's replace rows: what it weighs in a batch. */
export function rowValues(ops: readonly MappedOp[]): number {
  let n = 0;
  for (const op of ops)
    if (op.rows !== undefined && op.rows.length > 0)
      n += op.rows.length * (op.action.columns.length + op.action.where.length);
  return n;
}

function mapActions(actions: CompiledEvent, envelope: unknown): MappedOps | MapError {
  const ops: MappedOps = [];
  const budget = { values: MAX_EVENT_VALUES };
  for (const action of actions) {
    if (action.nested) continue; // mapped by its outer replace, per element
    if (action.when && !action.when(envelope, undefined, 0)) {
      ops.filtered = (ops.filtered ?? 0) + 1;
      continue;
    }
    // `with:` gives the object the action's @ paths read (a replace reads its elements instead).
    const at = action.with ? action.with(envelope) : undefined;
    const where: unknown[] = new Array(action.where.length);
    for (let i = 0; i < action.where.length; i++) {
      const v = read(action, action.where[i]!, envelope, at, 0, true);
      if (v instanceof MapError) return v;
      where[i] = v;
    }
    if (action.mode === "replace") {
      const r = mapReplace(action, envelope, envelope, where, ops, budget);
      if (r instanceof MapError) return r;
      continue;
    }
    const row: unknown[] = new Array(action.columns.length);
    const signature = readRow(action, envelope, at, 0, row);
    if (signature instanceof MapError) return signature;
    // A selective payload with nothing to set: no statement (an empty SET list is not SQL).
    if ((action.mode === "update" || action.mode === "soft_delete") && !signature.includes("1")) continue;
    ops.push(
      action.counted
        ? { action, values: row, where, rows: undefined, signature, countId: countIdOf(envelope, action) }
        : { action, values: row, where, rows: undefined, signature },
    );
  }
  return ops;
}

/** A counting op's identity: event type, event_id (the envelope has both) and the action's index. */
function countIdOf(envelope: unknown, action: CompiledAction): string {
  const e = envelope as { event_type: string; event_id: string };
  return `${e.event_type}\u0000${e.event_id}\u0000${action.index}`;
}

/**
 * A replace's op (its rows from the elements `for_each` selects in `source`: the event, or the
 * outer element of a nested replace), then, per element, the replaces nested under it, their
 * parent key taken from that element's row. Pushes to `ops`; a MapError for the whole event.
 */
function mapReplace(
  action: CompiledAction,
  envelope: unknown,
  source: unknown,
  where: readonly unknown[],
  ops: MappedOp[],
  budget: { values: number },
): MapError | undefined {
  const list = action.forEach!(source);
  if (list === ABSENT) return undefined; // selective payload without the collection: children left alone
  const rows: unknown[][] = [];
  const keys =
    Array.isArray(list) || list === null || typeof list !== "object" ? undefined : Object.keys(list);
  const elements = Array.isArray(list) ? list.length : (keys?.length ?? 0);
  // Each row holds the parent key (where) and the columns.
  const width = action.where.length + action.columns.length;
  budget.values -= elements * width;
  if (budget.values < 0)
    return new MapError(
      `${action.table.name}: for_each ${action.forEachSource} has ${elements} elements, ${elements * width} values with the ${width} columns of each row: over the limit of ${MAX_EVENT_VALUES} values an event may map to`,
    );
  // The elements, kept for the replaces nested under this one (their for_each reads them).
  const items: unknown[] | undefined = action.children.length > 0 ? [] : undefined;
  if (Array.isArray(list)) {
    for (let i = 0; i < list.length; i++) {
      const row: unknown[] = new Array(action.columns.length);
      const r = readRow(action, envelope, list[i], i, row);
      if (r instanceof MapError) return new MapError(`${r.reason} (element ${i} of ${action.forEachSource})`);
      rows.push(row);
      items?.push(list[i]);
    }
  } else if (keys) {
    const map = list as Record<string, unknown>;
    for (const k of keys) {
      const element = map[k];
      const row: unknown[] = new Array(action.columns.length);
      const r = readRow(action, envelope, element, k, row);
      if (r instanceof MapError)
        return new MapError(`${r.reason} (element ${JSON.stringify(excerpt(k))} of ${action.forEachSource})`);
      rows.push(row);
      items?.push(element);
    }
  } else if (list !== null) {
    return new MapError(
      `${action.table.name}: for_each ${action.forEachSource} must be an array or an object, got ${typeof list}`,
    );
  }
  ops.push({ action, values: [], where, rows, signature: "" });
  if (!items) return undefined;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    for (const child of action.children) {
      const childWhere = child.parentKeyFrom.map((at) =>
        at < where.length ? where[at] : row[at - where.length],
      );
      const r = mapReplace(child, envelope, items[i], childWhere, ops, budget);
      if (r instanceof MapError) return r;
    }
  }
  return undefined;
}
