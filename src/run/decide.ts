import type { CompiledAction, CompiledSpec, CompiledTable } from "../compile/compile.js";
import { storedDefault } from "../compile/ddl.js";
import type { MappedOp } from "../compile/map-event.js";
import type { KeySpec } from "../specs/types.js";
import { ABSENT } from "../values/json-path.js";
import { type Freshness, freshness, maskedOp } from "./guard-groups.js";
import { compareGuard, type KnownRow, keyString, type RowState, uniqueString } from "./row-state.js";

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
  /** Primary key string of the row (parent key for replace); undefined for an append no other mode writes. */
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

export interface EventResult {
  readonly stale: readonly string[];
  readonly unmatched: readonly string[];
  /**
   * The unmatched updates, soft deletes, child rows and child replaces, described: the event is
   * kept (a dead letter of kind "unmatched") to be applied by a retry once the row exists.
   */
  readonly keep?: readonly string[];
  /** Actions left out because their row or parent row was not there (`if_missing: skip`). */
  readonly skippedMissing?: number;
  /** Counting actions left out because the event was counted already (a redelivery). */
  readonly alreadyCounted?: number;
  /** Set when the event cannot be applied at all (it goes to the dead letters). */
  readonly rejected?: string;
}

export interface BatchDecision {
  readonly ops: readonly PlannedOp[];
  /** Per event decided (same order as `order`). */
  readonly results: readonly EventResult[];
  /**
   * The events in the order they were decided: the input's, with the waiting letters each one
   * healed right after it (when a healer was given; else the input itself).
   */
  readonly order: readonly MappedEvent[];
  /** Per decided event: whether it is a letter applied again because its row arrived (healed). */
  readonly healed?: readonly boolean[];
}

/**
 * The letters waiting for rows (kept `unmatched` events), as decideBatch heals them: right after an
 * event that creates a row one of them waits on, each is decided again, in letter order
 * (heal.ts says what that is; the reference interpreter does the same).
 */
export interface Healer {
  /** The letters waiting on any of these rows (`table|key`), in letter order. */
  waitingOn(created: readonly string[]): readonly { readonly id: string; readonly event: MappedEvent }[];
  /** The letter identity of a decided event (undefined: not a letter and not waiting). */
  identity(ev: MappedEvent): string;
  /** After an event is decided: it waits now (kept), or no longer (applied whole, or rejected). */
  settle(ev: MappedEvent, result: EventResult, healing: boolean): void;
  /** Whether any letter waits (stored, or kept earlier in the batch): else nothing is collected. */
  active(): boolean;
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

/** What the planner knows of an action's columns, computed once per action. */
interface ActionFacts {
  /** Index in the row (for replace: [where…, columns…]) of each primary key column. */
  readonly key: readonly number[];
  /** Index in the row of each parent column (child tables). */
  readonly parent: readonly number[];
  /** The table's unique-key columns the action writes: name, index in the row, and whether it is kept on update. */
  readonly uniqueCols: readonly { name: string; at: number; keep: boolean }[];
  /** The table's unique-key columns the action does not write: a new row takes their defaults. */
  readonly unwritten: readonly string[];
  /** The default of every unique-key column of the table, as stored (NULL when it has none). */
  readonly defaults: ReadonlyMap<string, unknown>;
}

const factsCache = new WeakMap<CompiledAction, ActionFacts>();

function factsOf(a: CompiledAction): ActionFacts {
  let f = factsCache.get(a);
  if (f) return f;
  const t = a.table.spec;
  // A replace's row is its where (the parent key) followed by its columns.
  const names =
    a.mode === "replace"
      ? [...a.where.map((w) => w.name), ...a.columns.map((c) => c.name)]
      : a.columns.map((c) => c.name);
  const keepAt = (i: number) => a.mode !== "replace" && (a.columns[i]?.keepExisting ?? false);
  const uniqueNames = new Set(t.uniques.flatMap((u) => u.columns));
  const uniqueCols = [...uniqueNames].flatMap((name) => {
    const at = names.indexOf(name);
    return at < 0 ? [] : [{ name, at, keep: keepAt(at) }];
  });
  f = {
    key: t.primaryKey.map((k) => names.indexOf(k)),
    parent: (t.parent?.columns ?? []).map((c) => names.indexOf(c)),
    uniqueCols,
    unwritten: [...uniqueNames].filter((n) => !names.includes(n)),
    defaults: new Map([...uniqueNames].map((n) => [n, storedDefault(t.columns.get(n)!) ?? null])),
  };
  factsCache.set(a, f);
  return f;
}

function pick(values: readonly unknown[], at: readonly number[]): unknown[] {
  return at.map((i) => values[i]);
}

/** A replace's element row with its parent key in front: the row as the table holds it. */
function replaceRow(op: MappedOp, row: readonly unknown[]): unknown[] {
  return [...op.where, ...row];
}

/**
 * The values of a row's unique-key columns after a write: those the write assigns (an existing row
 * keeps its keep_existing ones), and for a new row the defaults of those it leaves out.
 */
function uniqueValues(
  f: ActionFacts,
  values: readonly unknown[],
  existing: boolean,
): Map<string, unknown> | undefined {
  if (f.defaults.size === 0) return undefined;
  const out = new Map<string, unknown>();
  for (const c of f.uniqueCols) {
    const v = values[c.at];
    if (existing && (v === ABSENT || c.keep)) continue; // the row keeps its value
    out.set(c.name, v === ABSENT ? f.defaults.get(c.name) : v);
  }
  if (!existing) for (const name of f.unwritten) out.set(name, f.defaults.get(name));
  return out;
}

/** What the planner knows of a spec's tables, computed once per compiled spec. */
interface SpecFacts {
  /** Tables whose rows only appends write: the planner needs nothing of them. */
  readonly appendOnly: ReadonlySet<string>;
  /**
   * Child tables whose rows the row state must know when a replace writes them: something looks
   * them up by key (an upsert, update or delete of them, their own children, their unique keys).
   */
  readonly tracked: ReadonlySet<string>;
  /** A table's child tables (the cascades). */
  readonly childrenOf: (table: string) => readonly CompiledTable[];
}

const specFactsCache = new WeakMap<CompiledSpec, SpecFacts>();

function specFacts(compiled: CompiledSpec): SpecFacts {
  let f = specFactsCache.get(compiled);
  if (f) return f;
  const other = new Set<string>();
  const appended = new Set<string>();
  const keyed = new Set<string>();
  for (const actions of compiled.events.values())
    for (const a of actions) {
      (a.mode === "append" ? appended : other).add(a.table.name);
      if (a.mode !== "append" && a.mode !== "replace") keyed.add(a.table.name);
    }
  const tracked = new Set<string>();
  for (const t of compiled.tables)
    if (
      t.parent &&
      (keyed.has(t.name) || t.spec.uniques.length > 0 || (compiled.children.get(t.name) ?? []).length > 0)
    )
      tracked.add(t.name);
  f = {
    appendOnly: new Set([...appended].filter((t) => !other.has(t))),
    tracked,
    childrenOf: (table) => compiled.children.get(table) ?? [],
  };
  specFactsCache.set(compiled, f);
  return f;
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
  const byKey = (table: CompiledTable, values: readonly unknown[]) =>
    req(table).keys.set(keyString(values), values);
  const byUnique = (table: CompiledTable, u: KeySpec, vals: readonly unknown[]) => {
    if (vals.some((v) => v === null || v === undefined || v === ABSENT)) return;
    const r = req(table);
    let e = r.uniques.get(u.name);
    if (!e) {
      e = { key: u, values: new Map() };
      r.uniques.set(u.name, e);
    }
    e.values.set(keyString(vals), vals);
  };
  /** The row's parent row, and the owners of the unique values it takes. */
  const rowNeeds = (a: CompiledAction, row: readonly unknown[]) => {
    const t = a.table;
    const f = factsOf(a);
    if (t.spec.parent) byKey(compiled.tableByName.get(t.spec.parent.table)!, pick(row, f.parent));
    for (const u of t.spec.uniques)
      byUnique(
        t,
        u,
        u.columns.map((c) => {
          const at = f.uniqueCols.find((x) => x.name === c)?.at;
          const v = at === undefined ? ABSENT : row[at];
          return v === ABSENT ? f.defaults.get(c) : v;
        }),
      );
  };
  const { appendOnly } = specFacts(compiled);
  for (const ev of events) {
    for (const op of ev.ops) {
      const a = op.action;
      const t = a.table;
      switch (a.mode) {
        case "upsert":
          if (t.guard || t.spec.uniques.length > 0 || a.groups.length > 0)
            byKey(t, pick(op.values, factsOf(a).key));
          rowNeeds(a, op.values);
          break;
        case "append":
          if (appendOnly.has(t.name)) {
            if (t.spec.parent)
              byKey(compiled.tableByName.get(t.spec.parent.table)!, pick(op.values, factsOf(a).parent));
            break;
          }
          byKey(t, pick(op.values, factsOf(a).key));
          rowNeeds(a, op.values);
          break;
        case "update":
        case "soft_delete":
        case "delete": {
          const u = whereUnique(a);
          if (!u) byKey(t, op.where);
          else byUnique(t, u, orderedWhere(a, u, op.where));
          if (a.mode !== "delete" && t.spec.uniques.length > 0) {
            // The owners of unique values it may take.
            const f = factsOf(a);
            for (const k of t.spec.uniques) {
              const ats = k.columns.map((c) => f.uniqueCols.find((x) => x.name === c)?.at);
              if (ats.every((at) => at !== undefined))
                byUnique(
                  t,
                  k,
                  ats.map((at) => op.values[at!]),
                );
            }
          }
          break;
        }
        case "replace": {
          byKey(compiled.tableByName.get(t.parent!)!, op.where);
          if (t.spec.uniques.length > 0) for (const row of op.rows ?? []) rowNeeds(a, replaceRow(op, row));
          break;
        }
      }
    }
  }
  return [...byTable.values()];
}

/** Every table under `table`: its children, theirs, … (ON DELETE CASCADE reaches them all). */
export function descendantsOf(compiled: CompiledSpec, table: string): CompiledTable[] {
  const out: CompiledTable[] = [];
  const visit = (name: string) => {
    for (const c of compiled.children.get(name) ?? []) {
      out.push(c);
      visit(c.name);
    }
  };
  visit(table);
  return out;
}

/** Per-batch facts decideBatch keeps beside the row state; undone with a rejected event. */
class BatchFacts {
  /** Rows this batch created (absent when it began), child sets it wrote, child tables written directly. */
  readonly created = new Set<string>();
  readonly childSets = new Set<string>();
  readonly directChildTables = new Set<string>();
  private journal: (() => void)[] | undefined;

  begin(): void {
    this.journal = [];
  }
  rollback(): void {
    const j = this.journal ?? [];
    this.journal = undefined;
    for (let i = j.length - 1; i >= 0; i--) j[i]!();
  }
  commit(): void {
    this.journal = undefined;
  }
  add(set: Set<string>, value: string): void {
    if (set.has(value)) return;
    set.add(value);
    this.journal?.push(() => set.delete(value));
  }
  remove(set: Set<string>, value: string): void {
    if (!set.delete(value)) return;
    this.journal?.push(() => set.add(value));
  }
}

/** An event the database would refuse whole: it goes to the dead letters, nothing of it is written. */
class Rejected {
  constructor(readonly reason: string) {}
}

/** Whether an operation can refuse its event (a unique key taken, a duplicate child row). */
function mayReject(op: MappedOp): boolean {
  const a = op.action;
  return (
    a.mode === "replace" || (a.mode !== "delete" && a.mode !== "append" && a.table.spec.uniques.length > 0)
  );
}

/**
 * Decides the batch: walks the events in order against the known row state, as the reference
 * interpreter (src/reference/) applies them one at a time: drops operations of stale events (guard
 * older than the row's), keeps updates and child rows that match no row (unmatched), rejects an
 * event the database would refuse (a unique value another row holds, a duplicate child row), and
 * keeps the state current as it goes, so later events of the same batch see earlier ones. Pure:
 * the caller loads `state` (from MySQL, or the in-memory state of `projector test`).
 */
export function decideBatch(
  events: readonly MappedEvent[],
  compiled: CompiledSpec,
  state: RowState,
  healer?: Healer,
): BatchDecision {
  const ops: PlannedOp[] = [];
  const results: EventResult[] = [];
  const facts = new BatchFacts();
  const spec = specFacts(compiled);
  const order: MappedEvent[] = [];
  const healed: boolean[] = [];
  const collected: string[] = [];
  const decide = (ev: MappedEvent, healing: boolean): string[] => {
    const journal = ev.ops.some(mayReject);
    const mark = ops.length;
    // The rows the event creates matter only while some letter waits.
    const created = healer?.active() ? collected : undefined;
    collected.length = 0;
    if (journal) {
      state.begin();
      facts.begin();
    }
    let result: EventResult;
    try {
      result = decideEvent(ev, spec, state, facts, ops, created);
      if (journal) {
        state.commit();
        facts.commit();
      }
    } catch (e) {
      if (!(e instanceof Rejected)) throw e;
      state.rollback();
      facts.rollback();
      ops.length = mark;
      if (created) created.length = 0;
      result = { stale: [], unmatched: [], rejected: e.reason };
    }
    results.push(result);
    if (!healer) return [];
    order.push(ev);
    healed.push(healing);
    healer.settle(ev, result, healing);
    return created && created.length > 0 ? [...created] : [];
  };
  // Depth first: a healed letter's own new rows heal theirs before the next letter; a letter is
  // healed at most once per event of the input (its cascade), and never by itself. A stack, not
  // recursion: a chain of letters each creating the next one's row is as long as the stream.
  const cascade = (rows: readonly string[], done: Set<string>) => {
    if (rows.length === 0) return;
    const stack = [{ waiting: healer!.waitingOn(rows), next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const w = top.waiting[top.next++];
      if (!w) {
        stack.pop();
        continue;
      }
      if (done.has(w.id)) continue;
      done.add(w.id);
      const created = decide(w.event, true);
      if (created.length > 0) stack.push({ waiting: healer!.waitingOn(created), next: 0 });
    }
  };
  for (const ev of events) {
    const rows = decide(ev, false);
    if (healer && rows.length > 0) cascade(rows, new Set([healer.identity(ev)]));
  }
  return healer ? { ops, results, order, healed } : { ops, results, order: events };
}

/** The rows (`table|key`) an event's actions wait on when they find none: what heals its letter. */
export function waitKeys(ops: readonly MappedOp[]): string[] {
  const out = new Set<string>();
  for (const op of ops) {
    const a = op.action;
    const t = a.table;
    switch (a.mode) {
      case "update":
      case "soft_delete":
        // By a unique key: not healed (only a retry applies it).
        if (a.whereIsPrimary) out.add(`${t.name}|${keyString(op.where)}`);
        break;
      case "upsert":
      case "append": {
        if (!t.spec.parent) break;
        const key = pick(op.values, factsOf(a).parent);
        if (!key.some((v) => v === null)) out.add(`${t.spec.parent.table}|${keyString(key)}`);
        break;
      }
      case "replace":
        if (!a.nested) out.add(`${t.parent}|${keyString(op.where)}`);
        break;
    }
  }
  return [...out];
}

/** The rows (`table|key`) an event's actions may create: where its letters' waits are looked up. */
export function creatableKeys(
  ops: readonly MappedOp[],
  into: Set<string>,
  /** Only the rows of tables this says letters wait on. */
  waitedOn: (table: string) => boolean = () => true,
): void {
  for (const op of ops) {
    const a = op.action;
    const t = a.table;
    if (!waitedOn(t.name)) continue;
    const f = factsOf(a);
    if (a.mode === "upsert" || a.mode === "append")
      into.add(`${t.name}|${keyString(pick(op.values, f.key))}`);
    else if (a.mode === "replace") {
      const lead = op.where.length;
      for (const r of op.rows ?? [])
        into.add(`${t.name}|${keyString(f.key.map((i) => (i < lead ? op.where[i] : r[i - lead])))}`);
    }
  }
}

function decideEvent(
  ev: MappedEvent,
  spec: SpecFacts,
  state: RowState,
  facts: BatchFacts,
  ops: PlannedOp[],
  /** Rows (`table|key`) the event's actions insert where there was none: collected when healing. */
  created?: string[],
): EventResult {
  const stale: string[] = [];
  const unmatched: string[] = [];
  const keep: string[] = [];
  // Actions left out because their row (or parent row) is not there and they say if_missing: skip.
  let skipped = 0;
  // Counting actions left out: the event was counted already.
  let counted = 0;
  // Rows this event found stale, so that its child replaces are skipped as well.
  const staleRows = new Set<string>();
  // Rows of replaces that did not happen: the replaces nested under them do not happen either.
  let notReplaced: Set<string> | undefined;
  const markNotReplaced = (op: MappedOp, f: ActionFacts) => {
    if (op.action.children.length === 0) return;
    notReplaced ??= new Set();
    rowsOf(op, f, notReplaced);
  };
  const markStale = (t: CompiledTable, key: string | undefined) => {
    stale.push(t.name);
    if (key !== undefined) staleRows.add(`${t.name}|${key}`);
  };
  for (const op of ev.ops) {
    const a = op.action;
    const t = a.table;
    const guard = a.guardIndex >= 0 ? op.values[a.guardIndex] : undefined;
    const f = factsOf(a);
    // A counting op of an event already counted into this table (redelivered): left out whole.
    if (op.countId !== undefined && state.isCounted(t.name, op.countId)) {
      counted++;
      continue;
    }
    switch (a.mode) {
      case "upsert": {
        const key = keyString(pick(op.values, f.key));
        const row = state.get(t.name, key);
        // Guard groups: an existing row takes what of the op is newer than it (the statement's
        // conditions write those columns alone).
        const fresh =
          row && a.groups.length > 0 ? freshness(op, guard, row.guard, (g) => row.groups?.get(g)) : undefined;
        if (fresh ? fresh.allStale : olderThanRow(state, t, key, guard)) {
          markStale(t, key);
          continue;
        }
        if (fresh?.mainStale) staleRows.add(`${t.name}|${key}`);
        if (t.spec.parent && !parentExists(state, t, op.values, f)) {
          unmatched.push(t.name);
          if (a.ifMissing === "skip") skipped++;
          else keep.push(noParent(a, op.values, f));
          continue;
        }
        const values = fresh?.mainStale ? undefined : uniqueValues(f, op.values, row !== undefined);
        const touches = takeUniques(state, t, key, row, values);
        if (!row) {
          facts.add(facts.created, `${t.name}|${key}`);
          created?.push(`${t.name}|${key}`);
        }
        if (t.parent) facts.add(facts.directChildTables, t.name);
        state.write(
          t.spec,
          key,
          fresh?.mainStale ? undefined : t.guard ? guard : null,
          values,
          groupGuards(op, fresh),
        );
        if (op.countId !== undefined) state.count(t.name, op.countId);
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
          markStale(t, key);
          continue;
        }
        if (key === undefined || !row) {
          unmatched.push(t.name);
          if (a.mode !== "delete") {
            if (a.ifMissing === "skip") skipped++;
            else keep.push(noRow(a, op.where));
          }
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
        // Guard groups (updates, soft deletes of tables with `guards:`): per group; else the guard.
        const fresh =
          a.groups.length > 0 ? freshness(op, guard, row.guard, (g) => row.groups?.get(g)) : undefined;
        const mainStale = fresh
          ? fresh.mainStale
          : t.guard !== undefined &&
            guard !== undefined &&
            row.guard != null &&
            compareGuard(guard, row.guard) < 0;
        if (fresh ? fresh.allStale : mainStale) {
          markStale(t, key);
          continue;
        }
        // The op keeps what is newer than the row (the update has no condition for the groups).
        let planned = op;
        if (fresh) {
          if (mainStale) staleRows.add(`${t.name}|${key}`);
          planned = maskedOp(op, fresh.stale, mainStale) ?? op;
        }
        let touches: string[] | undefined;
        if (t.parent) facts.add(facts.directChildTables, t.name);
        if (a.mode === "delete") {
          // A delete frees the row's unique values for later inserts of other rows.
          touches = row.uniques ? [...row.uniques].map(([name, value]) => `${name}=${value}`) : undefined;
          state.delete(t, key, spec.childrenOf, t.guard ? guard : undefined);
          // Its children go with it (ON DELETE CASCADE): a re-created parent starts with none.
          for (const c of spec.childrenOf(t.name)) facts.remove(facts.childSets, `${c.name}|${key}`);
        } else {
          const values = mainStale ? undefined : uniqueValues(f, planned.values, true);
          touches = takeUniques(state, t, key, row, values);
          state.write(t.spec, key, t.guard && !mainStale ? guard : undefined, values, groupGuards(op, fresh));
          if (op.countId !== undefined) state.count(t.name, op.countId);
        }
        ops.push(
          touches?.length
            ? { op: planned, eventIndex: ev.index, rowKey: key, uniques: touches }
            : { op: planned, eventIndex: ev.index, rowKey: key },
        );
        break;
      }
      case "replace": {
        const key = keyString(op.where);
        // Nested under a replace that did not happen (stale, or no parent row): nothing either.
        if (a.nested && notReplaced?.has(`${t.parent}|${key}`)) {
          markNotReplaced(op, f);
          continue;
        }
        if (staleRows.has(`${t.parent}|${key}`)) {
          stale.push(t.name);
          markNotReplaced(op, f);
          continue;
        }
        if (!state.get(t.parent!, key)) {
          // Child rows need their parent (foreign key): nothing to attach them to.
          unmatched.push(t.name);
          if (a.ifMissing === "skip") skipped++;
          else keep.push(noRow(a, op.where, t.parent));
          markNotReplaced(op, f);
          continue;
        }
        const fresh =
          facts.created.has(`${t.parent}|${key}`) &&
          !facts.childSets.has(`${t.name}|${key}`) &&
          !facts.directChildTables.has(t.name);
        facts.add(facts.childSets, `${t.name}|${key}`);
        // The old children go (and theirs); the new ones are known rows of the batch from here on
        // (when something looks them up: else only their keys are checked, for duplicates).
        const tracked = spec.tracked.has(t.name);
        const lead = op.where.length;
        if (created && tracked)
          for (const r of op.rows ?? []) {
            const childKey = keyString(f.key.map((i) => (i < lead ? op.where[i] : r[i - lead])));
            if (!state.get(t.name, childKey)) created.push(`${t.name}|${childKey}`);
          }
        if (tracked) state.deleteChildren(t, key, spec.childrenOf);
        const seen = new Set<string>();
        const touches: string[] = [];
        for (const r of op.rows ?? []) {
          const keyValues = f.key.map((i) => (i < lead ? op.where[i] : r[i - lead]));
          const childKey = keyString(keyValues);
          if (seen.has(childKey))
            throw new Rejected(
              `${t.name}: two elements of ${a.forEachSource} are the same row (${describeKey(t.primaryKey, keyValues)})`,
            );
          seen.add(childKey);
          if (!tracked) continue;
          const values = uniqueValues(f, replaceRow(op, r), false);
          const took = takeUniques(state, t, childKey, undefined, values);
          if (took) touches.push(...took);
          state.write(t.spec, childKey, t.guard && a.guardIndex >= 0 ? r[a.guardIndex] : null, values);
        }
        const planned: PlannedOp = fresh
          ? { op, eventIndex: ev.index, rowKey: key, fresh }
          : { op, eventIndex: ev.index, rowKey: key };
        ops.push(touches.length > 0 ? { ...planned, uniques: touches } : planned);
        break;
      }
      case "append": {
        if (t.spec.parent && !parentExists(state, t, op.values, f)) {
          unmatched.push(t.name);
          if (a.ifMissing === "skip") skipped++;
          else keep.push(noParent(a, op.values, f));
          continue;
        }
        if (spec.appendOnly.has(t.name)) {
          ops.push({ op, eventIndex: ev.index, rowKey: undefined });
          break;
        }
        // Written by other modes too: the state must know whether the row was inserted.
        const key = keyString(pick(op.values, f.key));
        const values = uniqueValues(f, op.values, false);
        let taken = state.get(t.name, key) !== undefined;
        if (!taken && values)
          for (const u of t.spec.uniques) {
            const s = uniqueString(u, values);
            if (s !== undefined && state.resolveUnique(t.name, u.name, s) !== undefined) taken = true;
          }
        if (!taken) {
          state.write(t.spec, key, t.guard && a.guardIndex >= 0 ? guard : null, values);
          created?.push(`${t.name}|${key}`);
        }
        const touches = values ? uniqueTouches(t, values) : undefined;
        ops.push(
          touches?.length
            ? { op, eventIndex: ev.index, rowKey: key, uniques: touches }
            : { op, eventIndex: ev.index, rowKey: key },
        );
        break;
      }
    }
  }
  const out: EventResult = keep.length > 0 ? { stale, unmatched, keep } : { stale, unmatched };
  const withSkipped = skipped > 0 ? { ...out, skippedMissing: skipped } : out;
  return counted > 0 ? { ...withSkipped, alreadyCounted: counted } : withSkipped;
}

/** The group guards (`guards:`) an op moves: those it writes that are not older than the row's. */
function groupGuards(op: MappedOp, fresh: Freshness | undefined): Map<string, unknown> | undefined {
  const a = op.action;
  if (a.groups.length === 0) return undefined;
  const out = new Map<string, unknown>();
  a.groups.forEach((g, gi) => {
    const v = g.guardIndex >= 0 ? op.values[g.guardIndex] : ABSENT;
    if (v !== ABSENT && v !== null && !fresh?.stale[gi]) out.set(g.guard, v);
  });
  return out;
}

/** The unique values (`name=value`) of a row's unique-key columns. */
function uniqueTouches(t: CompiledTable, values: ReadonlyMap<string, unknown>): string[] {
  const out: string[] = [];
  for (const u of t.spec.uniques) {
    const s = uniqueString(u, values);
    if (s !== undefined) out.push(`${u.name}=${s}`);
  }
  return out;
}

/**
 * The unique values a write takes and those the row gives up (`name=value`, for the statements'
 * order), after checking that no other row holds one it takes (else the event is rejected: the
 * database would refuse it, or ON DUPLICATE KEY UPDATE would write that other row).
 */
function takeUniques(
  state: RowState,
  t: CompiledTable,
  key: string,
  row: KnownRow | undefined,
  values: ReadonlyMap<string, unknown> | undefined,
): string[] | undefined {
  if (!values || values.size === 0) return undefined;
  const merged = row?.values ? new Map([...row.values, ...values]) : values;
  const out: string[] = [];
  for (const u of t.spec.uniques) {
    if (!u.columns.some((c) => values.has(c))) continue; // unchanged
    const now = uniqueString(u, merged);
    const old = row?.uniques?.get(u.name);
    if (now !== undefined) {
      const owner = state.resolveUnique(t.name, u.name, now);
      if (owner === undefined) {
        if (!state.knowsUnique(t.name, u.name, now))
          state.noteUnknown(
            t.name,
            u.name,
            now,
            u.columns.map((c) => merged.get(c)),
          );
      } else if (owner !== key)
        throw new Rejected(
          `${t.name}: unique key (${u.columns.join(", ")}) = ${u.columns.map((c) => show(merged.get(c))).join(", ")} already belongs to row ${owner.split("\u0001").join(", ")}`,
        );
      out.push(`${u.name}=${now}`);
    }
    if (old !== undefined && old !== now) out.push(`${u.name}=${old}`);
  }
  return out;
}

/** Whether the parent row of a child row (or a child log's row) exists. */
function parentExists(
  state: RowState,
  t: CompiledTable,
  values: readonly unknown[],
  f: ActionFacts,
): boolean {
  const key = pick(values, f.parent);
  // MySQL checks no foreign key with a NULL in it.
  if (key.some((v) => v === null)) return true;
  return state.get(t.spec.parent!.table, keyString(key)) !== undefined;
}

function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : v === null || v === undefined ? "null" : String(v);
}

function describeKey(cols: readonly string[], values: readonly unknown[]): string {
  return cols.map((c, i) => `${c} = ${show(values[i])}`).join(", ");
}

/** "upsert order_items: no orders row order_id = "o1"". */
function noParent(a: CompiledAction, values: readonly unknown[], f: ActionFacts): string {
  const p = a.table.spec.parent!;
  return `${a.mode} ${a.table.name}: no ${p.table} row ${describeKey(p.columns, pick(values, f.parent))}`;
}

/** "update users: no row user_id = "u1"" (for a replace, the parent row it needs). */
function noRow(a: CompiledAction, where: readonly unknown[], parent?: string): string {
  const key = a.where.map((w, i) => `${w.name} = ${show(where[i])}`).join(", ");
  return `${a.mode} ${a.table.name}: no ${parent ? `${parent} row` : "row"} ${key}`;
}

/** Whether `guard` is older than the row's, or (the row gone) than the hard delete's tombstone. */
function olderThanRow(state: RowState, t: CompiledTable, key: string, guard: unknown): boolean {
  // No guard value: the table has none, or the action writes no stamp (`stamp: false`).
  if (!t.guard || guard === undefined) return false;
  const row = state.get(t.name, key);
  const newest = row ? row.guard : state.tomb(t.name, key);
  return newest != null && compareGuard(guard, newest) < 0;
}

/** Adds the rows (`table|key`) of a replace op to `into`. */
function rowsOf(op: MappedOp, f: ActionFacts, into: Set<string>): void {
  const lead = op.where.length;
  for (const r of op.rows ?? [])
    into.add(
      `${op.action.table.name}|${keyString(f.key.map((i) => (i < lead ? op.where[i] : r[i - lead])))}`,
    );
}
