import type { CompiledAction, CompiledSpec, CompiledTable } from "../compile/compile.js";
import type { MappedOp } from "../compile/map-event.js";
import type { KeySpec } from "../specs/types.js";
import { compareGuard, keyString, type RowState } from "./row-state.js";

/** An event of the batch that mapped cleanly. */
export interface MappedEvent {
  readonly index: number;
  readonly eventType: string;
  readonly ops: readonly MappedOp[];
}

/** Rows whose current state the planner needs, per table: by primary key and by unique keys. */
export interface RowRequest {
  readonly table: CompiledTable;
  readonly keys: Map<string, readonly unknown[]>;
  readonly uniques: Map<string, { key: KeySpec; values: Map<string, readonly unknown[]> }>;
}

/** An operation that survived the stale check, with the row it touches. */
export interface PlannedOp {
  readonly op: MappedOp;
  readonly eventIndex: number;
  /** Primary key string of the row (parent key for replace); undefined for append. */
  readonly rowKey: string | undefined;
  /**
   * Unique-key values the op takes or gives up (`name=value`): an insert taking a value must run
   * after the write that freed it, or ON DUPLICATE KEY UPDATE would land on the other row.
   */
  readonly uniques?: readonly string[];
  /**
   * A replace whose parent row did not exist when the batch began (and whose children nothing
   * earlier in the batch wrote): there are no old children to delete.
   */
  readonly fresh?: boolean;
  /** A delete that found no row: only its tombstone is written (no DELETE statement). */
  readonly tombOnly?: boolean;
}

/** The unique values an upsert or update takes, and those the row had before if they change. */
function uniqueTouches(
  before: Map<string, string> | undefined,
  after: Map<string, string> | undefined,
): string[] | undefined {
  if (!after) return undefined;
  const out: string[] = [];
  for (const [name, value] of after) {
    out.push(`${name}=${value}`);
    const old = before?.get(name);
    if (old !== undefined && old !== value) out.push(`${name}=${old}`);
  }
  return out;
}

export interface EventResult {
  readonly stale: readonly string[];
  readonly unmatched: readonly string[];
  /**
   * The unmatched updates, soft deletes and child replaces, described: the event is kept (a dead
   * letter of kind "unmatched") to be applied by a retry once the row exists.
   */
  readonly keep?: readonly string[];
  /** Set when the event cannot be applied at all (it goes to the dead letters). */
  readonly rejected?: string;
}

export interface BatchDecision {
  readonly ops: readonly PlannedOp[];
  /** Per event index (same order as the input). */
  readonly results: readonly EventResult[];
}

const uniqueCache = new WeakMap<CompiledAction, KeySpec | null>();

/** The unique key an update/delete selects its row by, or undefined when it uses the primary key. */
export function whereUnique(action: CompiledAction): KeySpec | undefined {
  if (action.whereIsPrimary) return undefined;
  let u = uniqueCache.get(action);
  if (u === undefined) {
    const names = action.where.map((w) => w.name);
    u =
      action.table.spec.uniques.find(
        (k) => k.columns.length === names.length && k.columns.every((c) => names.includes(c)),
      ) ?? null;
    uniqueCache.set(action, u);
  }
  return u ?? undefined;
}

/** Values of `where` put in the order of the key's columns. */
function orderedWhere(action: CompiledAction, key: KeySpec, where: readonly unknown[]): unknown[] {
  return key.columns.map((c) => where[action.where.findIndex((w) => w.name === c)]);
}

function pkOfValues(action: CompiledAction, values: readonly unknown[]): unknown[] {
  return action.keyIndexes.map((i) => values[i]);
}

/** Unique keys (that some action selects by) of an upserted row, when all their columns are present. */
function uniquesOf(
  action: CompiledAction,
  values: readonly unknown[],
  wanted: ReadonlySet<string>,
): Map<string, string> | undefined {
  let out: Map<string, string> | undefined;
  for (const u of action.table.spec.uniques) {
    if (!wanted.has(`${action.table.name}.${u.name}`)) continue;
    const vals = u.columns.map((c) => values[action.columns.findIndex((col) => col.name === c)]);
    if (vals.some((v) => v === undefined || typeof v === "symbol")) continue;
    out ??= new Map();
    out.set(u.name, keyString(vals));
  }
  return out;
}

/**
 * Unique keys the planner tracks, as `table.keyName`: all of them. Updates select rows by them, and
 * an upsert must not take over another row's unique key (ON DUPLICATE KEY UPDATE would silently
 * update that other row instead).
 */
export function selectingUniques(compiled: CompiledSpec): Set<string> {
  const out = new Set<string>();
  for (const t of compiled.tables) for (const u of t.spec.uniques) out.add(`${t.name}.${u.name}`);
  return out;
}

/** Collects the rows the planner must know about before deciding the batch. */
export function rowRequests(events: readonly MappedEvent[], compiled: CompiledSpec): RowRequest[] {
  const byTable = new Map<string, RowRequest>();
  const req = (table: CompiledTable) => {
    let r = byTable.get(table.name);
    if (!r) {
      r = { table, keys: new Map(), uniques: new Map() };
      byTable.set(table.name, r);
    }
    return r;
  };
  for (const ev of events) {
    for (const op of ev.ops) {
      const a = op.action;
      switch (a.mode) {
        case "upsert": {
          const uniques = a.table.spec.uniques;
          if (a.table.guard || uniques.length > 0) {
            const k = pkOfValues(a, op.values);
            req(a.table).keys.set(keyString(k), k);
          }
          for (const u of uniques) {
            const vals = u.columns.map((c) => op.values[a.columns.findIndex((col) => col.name === c)]);
            if (vals.some((v) => v === undefined || typeof v === "symbol")) continue;
            const r = req(a.table);
            let e = r.uniques.get(u.name);
            if (!e) {
              e = { key: u, values: new Map() };
              r.uniques.set(u.name, e);
            }
            e.values.set(keyString(vals), vals);
          }
          break;
        }
        case "update":
        case "soft_delete":
        case "delete": {
          const u = whereUnique(a);
          if (!u) {
            req(a.table).keys.set(keyString(op.where), op.where);
          } else {
            const r = req(a.table);
            let e = r.uniques.get(u.name);
            if (!e) {
              e = { key: u, values: new Map() };
              r.uniques.set(u.name, e);
            }
            const vals = orderedWhere(a, u, op.where);
            e.values.set(keyString(vals), vals);
          }
          break;
        }
        case "replace": {
          const parent = compiled.tableByName.get(a.table.parent!)!;
          req(parent).keys.set(keyString(op.where), op.where);
          break;
        }
        case "append":
          break;
      }
    }
  }
  return [...byTable.values()];
}

/**
 * Decides the batch: walks the events in order against the known row state, drops operations of
 * stale events (guard older than the row's) and updates that match no row, and keeps the state
 * current as it goes, so later events of the same batch see earlier ones. Pure: the caller loads
 * `state` (from MySQL, or the in-memory state of `projector test`).
 */
export function decideBatch(
  events: readonly MappedEvent[],
  compiled: CompiledSpec,
  state: RowState,
  wantedUniques: ReadonlySet<string>,
): BatchDecision {
  const ops: PlannedOp[] = [];
  const results: EventResult[] = [];
  const childrenOf = (t: CompiledTable) => compiled.children.get(t.name) ?? [];
  // Rows this batch created (absent when it began), child sets it wrote, child tables written directly.
  const created = new Set<string>();
  const childSets = new Set<string>();
  const directChildTables = new Set<string>();
  for (const ev of events) {
    const stale: string[] = [];
    const unmatched: string[] = [];
    const keep: string[] = [];
    const conflict = uniqueConflict(ev, state, wantedUniques);
    if (conflict) {
      results.push({ stale, unmatched, rejected: conflict });
      continue;
    }
    // Rows this event found stale, so that its child replaces are skipped as well.
    const staleRows = new Set<string>();
    for (const op of ev.ops) {
      const a = op.action;
      const t = a.table;
      const guard = a.guardIndex >= 0 ? op.values[a.guardIndex] : undefined;
      switch (a.mode) {
        case "upsert": {
          const key = keyString(pkOfValues(a, op.values));
          const row = state.get(t.name, key);
          if (olderThanRow(state, t, key, guard)) {
            stale.push(t.name);
            staleRows.add(`${t.name}|${key}`);
            continue;
          }
          const taken = uniquesOf(a, op.values, wantedUniques);
          const touches = uniqueTouches(row ? new Map(row.uniques) : undefined, taken);
          if (!row) created.add(`${t.name}|${key}`);
          if (t.parent) directChildTables.add(t.name);
          state.set(t.name, key, t.guard ? guard : null, taken);
          ops.push(
            touches
              ? { op, eventIndex: ev.index, rowKey: key, uniques: touches }
              : { op, eventIndex: ev.index, rowKey: key },
          );
          break;
        }
        case "update":
        case "soft_delete":
        case "delete": {
          const u = whereUnique(a);
          const key = u
            ? state.resolveUnique(t.name, u.name, keyString(orderedWhere(a, u, op.where)))
            : keyString(op.where);
          const row = key === undefined ? undefined : state.get(t.name, key);
          if (key !== undefined && !row && a.mode !== "delete" && olderThanRow(state, t, key, guard)) {
            // The row was hard-deleted after this event: it is stale, not waiting for its row.
            stale.push(t.name);
            staleRows.add(`${t.name}|${key}`);
            continue;
          }
          if (key === undefined || !row) {
            unmatched.push(t.name);
            if (a.mode !== "delete") keep.push(noRow(a, op.where));
            // A delete that finds no row (it came first, or again) still says the row is gone as of
            // its guard: an older event arriving later must not create it.
            if (a.mode === "delete" && key !== undefined && t.guard && guard != null) {
              const tomb = state.tomb(t.name, key);
              if (tomb == null || compareGuard(guard, tomb) > 0) {
                state.setTomb(t.name, key, guard);
                ops.push({ op, eventIndex: ev.index, rowKey: key, tombOnly: true });
              }
            }
            continue;
          }
          if (t.guard && row.guard != null && compareGuard(guard, row.guard) < 0) {
            stale.push(t.name);
            staleRows.add(`${t.name}|${key}`);
            continue;
          }
          let touches: string[] | undefined;
          if (t.parent) directChildTables.add(t.name);
          if (a.mode === "delete") {
            // A delete frees the row's unique values for later inserts of other rows.
            touches = [...row.uniques].map(([name, value]) => `${name}=${value}`);
            state.delete(t, key, childrenOf(t), t.guard ? guard : undefined);
            // Its children go with it (ON DELETE CASCADE): a re-created parent starts with none.
            for (const c of childrenOf(t)) childSets.delete(`${c.name}|${key}`);
          } else {
            const taken = uniquesOf(a, op.values, wantedUniques);
            touches = uniqueTouches(new Map(row.uniques), taken);
            state.set(t.name, key, t.guard ? guard : undefined, taken);
          }
          ops.push(
            touches?.length
              ? { op, eventIndex: ev.index, rowKey: key, uniques: touches }
              : { op, eventIndex: ev.index, rowKey: key },
          );
          break;
        }
        case "replace": {
          const key = keyString(op.where);
          if (staleRows.has(`${t.parent}|${key}`)) {
            stale.push(t.name);
            continue;
          }
          const parentRow = state.get(t.parent!, key);
          if (!parentRow) {
            // Child rows need their parent (foreign key): nothing to attach them to.
            unmatched.push(t.name);
            keep.push(noRow(a, op.where, t.parent));
            continue;
          }
          const fresh =
            created.has(`${t.parent}|${key}`) &&
            !childSets.has(`${t.name}|${key}`) &&
            !directChildTables.has(t.name);
          childSets.add(`${t.name}|${key}`);
          ops.push(
            fresh
              ? { op, eventIndex: ev.index, rowKey: key, fresh }
              : { op, eventIndex: ev.index, rowKey: key },
          );
          break;
        }
        case "append":
          ops.push({ op, eventIndex: ev.index, rowKey: undefined });
          break;
      }
    }
    results.push(keep.length > 0 ? { stale, unmatched, keep } : { stale, unmatched });
  }
  return { ops, results };
}

/** "update users: no row user_id = "u1"" (for a replace, the parent row it needs). */
function noRow(a: CompiledAction, where: readonly unknown[], parent?: string): string {
  const show = (v: unknown) =>
    typeof v === "string" ? JSON.stringify(v) : v === null || v === undefined ? "null" : String(v);
  const key = a.where.map((w, i) => `${w.name} = ${show(where[i])}`).join(", ");
  return `${a.mode} ${a.table.name}: no ${parent ? `${parent} row` : "row"} ${key}`;
}

/** Whether `guard` is older than the row's, or (the row gone) than the hard delete's tombstone. */
function olderThanRow(state: RowState, t: CompiledTable, key: string, guard: unknown): boolean {
  if (!t.guard) return false;
  const row = state.get(t.name, key);
  const newest = row ? row.guard : state.tomb(t.name, key);
  return newest != null && compareGuard(guard, newest) < 0;
}

/** An upsert whose unique key already belongs to another row: the event is rejected, not merged into that row. */
function uniqueConflict(ev: MappedEvent, state: RowState, wanted: ReadonlySet<string>): string | undefined {
  for (const op of ev.ops) {
    const a = op.action;
    if (a.mode !== "upsert" || a.table.spec.uniques.length === 0) continue;
    const key = keyString(pkOfValues(a, op.values));
    // An upsert older than its row (or than the row's deletion) is stale, whatever its unique values.
    if (olderThanRow(state, a.table, key, op.values[a.guardIndex])) continue;
    const mine = uniquesOf(a, op.values, wanted);
    if (!mine) continue;
    for (const [name, value] of mine) {
      const owner = state.resolveUnique(a.table.name, name, value);
      if (owner !== undefined && owner !== key) {
        const cols = a.table.spec.uniques.find((u) => u.name === name)!.columns.join(", ");
        return `${a.table.name}: unique key (${cols}) = ${value.split("\u0001").join(", ")} already belongs to row ${owner.split("\u0001").join(", ")}`;
      }
    }
  }
  return undefined;
}
