import { INT_RANGES } from "../compile/aggregates.js";
import type {
  AggregateColumn,
  CompiledAction,
  CompiledColumn,
  CompiledSpec,
  CompiledTable,
} from "../compile/compile.js";
import { storedDefault } from "../compile/ddl.js";
import type { MappedOp } from "../compile/map-event.js";
import type { SourceRecord } from "../core/source-record.js";
import {
  add as addDecimals,
  type Decimal,
  decimalText,
  mul as mulDecimals,
  round as roundDecimal,
  toDecimal,
} from "../language/decimal.js";
import { letterFor, unmatchedReason } from "../run/dead-letters.js";
import { freshness } from "../run/guard-groups.js";
import { compareLetters, type LetterPlace, letterPlace } from "../run/heal.js";
import { type Prepared, prepareRecord } from "../run/prepare.js";
import { compareGuard } from "../run/row-state.js";
import type { ColumnSpec, ColumnType, KeySpec, TableSpec } from "../specs/types.js";
import type { DeadLetter, LetterKind } from "../store/dead-letters.js";
import { ABSENT } from "../values/json-path.js";

/**
 * The reference semantics of projector, executable: events applied one at a time, in stream order,
 * to tables held in memory. No batching, no grouping, no lookahead, no SQL: every fast path of the
 * runtime (run/) is checked against what this gives (test/differential/), and a new form of the
 * spec language is defined here first.
 *
 * What an event does (docs/spec-language.md and the README's Semantics say the same in prose):
 * - It is decoded and mapped as the runtime maps it (run/prepare.ts: the same code): a record that
 *   cannot be is a `failed` letter; an unknown type is skipped (or a letter); a `when` filters.
 * - Its actions apply in order, all or nothing: an action the database would refuse (a unique value
 *   another row holds, a NOT NULL column with no value and no default, a duplicate child row)
 *   rejects the whole event, which becomes a `failed` letter and changes no table.
 * - `upsert`: the row by its primary key. Stale (nothing written) when the row's guard is newer than
 *   the event's, or, the row missing, the tombstone of its hard delete is. A new row takes the
 *   values present and the defaults; an existing one the values present except its key and its
 *   `keep_existing` columns. A child row whose parent row does not exist waits (unmatched).
 * - `update`, `soft_delete`: the row by its primary key or a unique key; none: unmatched, and the
 *   event is kept as an `unmatched` letter (stale instead when older than the row's tombstone).
 * - `delete`: the row by its primary key, its children (and theirs) with it; on a guarded table it
 *   leaves a tombstone with the event's guard value, also when there was no row (the newest wins).
 * - `append`: a new row unless its primary or a unique key is taken (then nothing: idempotent).
 * - `replace`: the parent row's children are deleted and one row per element inserted; stale when
 *   the event's write of that parent row was stale, unmatched when the parent row does not exist.
 * - Guard groups (`guards:`): on an existing row each group the op writes (the table's guard, and
 *   each of `guards:`) is compared with the row's value of its guard; the columns of an older group
 *   are not written, the others are; the op is stale when every group it writes is older. A stale
 *   table guard also skips the event's child replaces of the row.
 * - `combine:` (upsert, update): `add`/`subtract` add the (mapped, negated for subtract) value to
 *   the row's, NULL counting as 0, refused out of the column's range; `max`/`min` keep the greater
 *   or lesser. A counting op (add/subtract) applies once per table: the same event type, event_id
 *   and action again (a redelivery) is left out whole, before its guard or row is looked at.
 * - Keys compare as the database compares them: values as coerced (decimals at their scale, CHAR
 *   without trailing spaces), NULL never equal to anything in a unique key.
 */
export class Reference {
  /** table → primary key (canonical) → row (column → value as stored). */
  private readonly rows = new Map<string, Map<string, Row>>();
  /** `table\0key` → guard value of the newest hard delete. */
  private readonly tombs = new Map<string, unknown>();
  /** `table\0countId` of the counting ops applied: a redelivered event is not counted again. */
  private readonly countedOps = new Set<string>();
  /** Parent rows (`table` → key → its values) whose child rows the event being applied wrote. */
  private readonly touched = new Map<string, Map<string, readonly unknown[]>>();
  /** `source\0position` → the record's letter (a redelivered record keeps one). */
  private readonly letterMap = new Map<string, DeadLetter>();
  /** Letters waiting for rows (`unmatched`), by identity (`source\0position`): what heals them. */
  private readonly pending = new Map<
    string,
    { p: Prepared & { kind: "event" }; place: LetterPlace; keys: string[] }
  >();
  /** Rows (`table\0key`) the op being applied inserted where there was none. */
  private created: string[] = [];
  private readonly counts = {
    applied: 0,
    stale: 0,
    skipped: 0,
    filtered: 0,
    dead: 0,
    missingSkipped: 0,
    alreadyCounted: 0,
    healed: 0,
  };

  constructor(
    private readonly compiled: CompiledSpec,
    private readonly options: { deadLetterUnknown?: boolean } = {},
  ) {
    for (const t of compiled.tables) this.rows.set(t.name, new Map());
  }

  /** Applies one record (decoded and mapped first, as the runtime does). */
  apply(record: SourceRecord): EventOutcome {
    return this.applyPrepared(prepareRecord(this.compiled, record, this.options.deadLetterUnknown ?? false));
  }

  /**
   * Applies one record already prepared; then, when it created rows letters wait on, those letters
   * (early events that heal): each is applied again right after it, in letter order (source,
   * partition, offset or line), followed by the letters its own new rows heal (depth first); a
   * letter heals at most once per event of the stream, and not by its own rows. A letter waits on
   * every row its actions would find (waitKeys: by primary key, or the parent row).
   */
  applyPrepared(p: Prepared): EventOutcome {
    const outcome = this.applyOnce(p, false);
    if (p.kind !== "event") return outcome;
    const place = letterPlace(p.record);
    this.settle(p, place, outcome, false);
    const healed: MappedOp[] = [];
    this.cascade(this.created, new Set([place.id]), healed);
    return healed.length > 0 ? { ...outcome, healed } : outcome;
  }

  private cascade(rows: readonly string[], done: Set<string>, healed: MappedOp[]): void {
    // Depth first, with a stack: a chain of letters may be as long as the stream.
    const stack = [{ waiting: this.waitingOn(rows), next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const w = top.waiting[top.next++];
      if (!w) {
        stack.pop();
        continue;
      }
      if (done.has(w.place.id)) continue;
      done.add(w.place.id);
      const outcome = this.applyOnce(w.p, true);
      this.settle(w.p, w.place, outcome, true);
      healed.push(...outcome.ops);
      if (this.created.length > 0) stack.push({ waiting: this.waitingOn(this.created), next: 0 });
    }
  }

  /** The letters waiting on any of these rows, in letter order. */
  private waitingOn(rows: readonly string[]) {
    if (rows.length === 0 || this.pending.size === 0) return [];
    const ids = new Set<string>();
    for (const r of rows) for (const [id, w] of this.pending) if (w.keys.includes(r)) ids.add(id);
    return [...ids].map((id) => this.pending.get(id)!).sort((a, b) => compareLetters(a.place, b.place));
  }

  /** After an event: it waits now (kept as an unmatched letter), or no longer (healed, or failed). */
  private settle(
    p: Prepared & { kind: "event" },
    place: LetterPlace,
    outcome: EventOutcome,
    healing: boolean,
  ): void {
    const keys = outcome.kind === "unmatched" ? this.waitKeys(p.ops) : [];
    if (keys.length > 0) this.pending.set(place.id, { p, place, keys });
    else if (healing) {
      this.pending.delete(place.id);
      if (outcome.kind === "applied") {
        this.letterMap.delete(place.id);
        this.counts.healed++;
      }
    }
  }

  /** The rows (`table\0key`) an event's actions would find: the same rows run/decide.ts waitKeys names. */
  private waitKeys(ops: readonly MappedOp[]): string[] {
    const out = new Set<string>();
    for (const op of ops) {
      const a = op.action;
      const t = a.table;
      if ((a.mode === "update" || a.mode === "soft_delete") && a.whereIsPrimary)
        out.add(`${t.name}\u0000${keyOf(t.spec, t.primaryKey, op.where)}`);
      else if ((a.mode === "upsert" || a.mode === "append") && t.spec.parent) {
        const values = named(a, op.values);
        const key = t.spec.parent.columns.map((c) => values[c]);
        if (key.some((v) => v === null || v === undefined)) continue;
        const ps = this.compiled.tableByName.get(t.spec.parent.table)!.spec;
        out.add(`${ps.name}\u0000${keyOf(ps, ps.primaryKey, key)}`);
      } else if (a.mode === "replace" && !a.nested) {
        const ps = this.compiled.tableByName.get(t.spec.parent!.table)!.spec;
        out.add(`${ps.name}\u0000${keyOf(ps, ps.primaryKey, op.where)}`);
      }
    }
    return [...out];
  }

  private applyOnce(p: Prepared, healing: boolean): EventOutcome {
    this.created = [];
    switch (p.kind) {
      case "skip":
        this.counts.skipped++;
        return { kind: "skipped", ops: [], stale: [], unmatched: [] };
      case "filtered":
        this.counts.filtered++;
        return { kind: "filtered", ops: [], stale: [], unmatched: [] };
      case "dead":
        this.letter(p.letter);
        return { kind: "failed", ops: [], stale: [], unmatched: [], reason: p.letter.reason };
    }
    const undo: (() => void)[] = [];
    const outcome: Outcome = {
      ops: [],
      stale: [],
      unmatched: [],
      keep: [],
      skippedMissing: 0,
      alreadyCounted: 0,
      staleRows: new Set(),
      notReplaced: new Set(),
    };
    this.touched.clear();
    try {
      for (const op of p.ops) this.applyOp(op, outcome, undo);
      this.aggregate(undo);
    } catch (e) {
      if (!(e instanceof Rejected)) throw e;
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      this.created = [];
      this.letter(letterFor(p.record, e.reason, p.eventId, p.eventType));
      return { kind: "failed", ops: [], stale: [], unmatched: [], reason: e.reason };
    }
    const { ops, stale, unmatched, keep, skippedMissing } = outcome;
    this.counts.missingSkipped += skippedMissing;
    this.counts.alreadyCounted += outcome.alreadyCounted;
    if (keep.length > 0)
      this.letter(letterFor(p.record, unmatchedReason(keep), p.eventId, p.eventType, "unmatched"));
    if (healing) {
      // Counted when it came; healed (or not) now.
    } else if (ops.length === 0 && stale.length > 0) this.counts.stale++;
    else this.counts.applied++;
    const kind = keep.length > 0 ? "unmatched" : "applied";
    return skippedMissing > 0
      ? { kind, ops, stale, unmatched, skippedMissing }
      : { kind, ops, stale, unmatched };
  }

  /** Every table's rows (generated columns left out: the database computes them). */
  tables(): Map<string, Row[]> {
    const out = new Map<string, Row[]>();
    for (const [name, rows] of this.rows)
      out.set(
        name,
        [...rows.values()].map((r) => ({ ...r })),
      );
    return out;
  }

  /** The dead letters, one per record position. */
  letters(): DeadLetter[] {
    return [...this.letterMap.values()];
  }

  /** How many records were applied, stale, skipped, filtered or dead-lettered. */
  summary(): Readonly<typeof this.counts> {
    return { ...this.counts };
  }

  /** Whether a row exists (for `projector test`). */
  row(table: string, key: readonly unknown[]): Row | undefined {
    const t = this.compiled.tableByName.get(table);
    return t && this.rows.get(table)?.get(keyOf(t.spec, t.primaryKey, key));
  }

  private letter(l: DeadLetter): void {
    this.letterMap.set(`${l.source}\u0000${l.position}`, l);
    this.counts.dead++;
  }

  private table(t: CompiledTable): Map<string, Row> {
    return this.rows.get(t.name)!;
  }

  private applyOp(op: MappedOp, out: Outcome, undo: (() => void)[]): void {
    const a = op.action;
    const t = a.table;
    const guard = a.guardIndex >= 0 ? op.values[a.guardIndex] : undefined;
    // A counting op of an event already counted into this table (redelivered): left out whole.
    const counted = op.countId === undefined ? undefined : `${t.name}\u0000${op.countId}`;
    if (counted !== undefined && this.countedOps.has(counted)) {
      out.alreadyCounted++;
      return;
    }
    const count = () => {
      if (counted === undefined) return;
      this.countedOps.add(counted);
      undo.push(() => this.countedOps.delete(counted));
    };
    switch (a.mode) {
      case "upsert": {
        const key = keyOf(
          t.spec,
          t.primaryKey,
          a.keyIndexes.map((i) => op.values[i]),
        );
        const row = this.table(t).get(key);
        const fresh = row
          ? freshness(op, guard, t.guard === undefined ? undefined : row[t.guard], (g) => row[g])
          : undefined;
        if (fresh ? fresh.allStale : this.olderThan(t, key, row, guard)) {
          out.stale.push(t.name);
          out.staleRows.add(`${t.name}\u0000${key}`);
          return;
        }
        // Older than the row's guard, newer in a group: its children are not replaced either.
        if (fresh?.mainStale) out.staleRows.add(`${t.name}\u0000${key}`);
        const values = named(a, op.values);
        if (!row && t.spec.parent && !this.parentExists(t.spec, values)) {
          out.unmatched.push(t.name);
          if (a.ifMissing === "skip") out.skippedMissing++;
          else
            out.keep.push(
              `upsert ${t.name}: no ${t.spec.parent.table} row ${describeKey(t.spec.parent.columns, values)}`,
            );
          return;
        }
        let next: Row;
        if (row) {
          next = { ...row };
          a.columns.forEach((c, i) => {
            if (c.name in values && fresh!.writes(i) && !c.keepExisting && !t.primaryKey.includes(c.name))
              next[c.name] = c.combine ? combined(t.spec, c, row[c.name], values[c.name]) : values[c.name];
          });
          // The guard is assigned whatever keep_existing says (the statement assigns it last).
          if (t.guard && t.guard in values && !fresh!.mainStale) next[t.guard] = values[t.guard];
        } else {
          next = this.newRow(t.spec, values);
          this.created.push(`${t.name}\u0000${key}`);
        }
        this.checkUniques(t.spec, key, next);
        this.put(t, key, next, undo);
        count();
        out.ops.push(op);
        return;
      }
      case "update":
      case "soft_delete":
      case "delete": {
        const key = this.find(a, op.where);
        const row = key === undefined ? undefined : this.table(t).get(key);
        if (!row) {
          if (key !== undefined && a.mode !== "delete" && this.olderThan(t, key, undefined, guard)) {
            out.stale.push(t.name);
            out.staleRows.add(`${t.name}\u0000${key}`);
            return;
          }
          out.unmatched.push(t.name);
          if (a.mode !== "delete") {
            if (a.ifMissing === "skip") out.skippedMissing++;
            else out.keep.push(noRow(a, op.where));
          }
          // A delete that finds no row still says the row is gone as of its guard.
          else if (key !== undefined && t.guard && guard != null) this.tomb(t.name, key, guard, undo);
          return;
        }
        const fresh = freshness(op, guard, t.guard === undefined ? undefined : row[t.guard], (g) => row[g]);
        if (a.mode === "delete" ? fresh.mainStale : fresh.allStale) {
          out.stale.push(t.name);
          out.staleRows.add(`${t.name}\u0000${key!}`);
          return;
        }
        if (fresh.mainStale) out.staleRows.add(`${t.name}\u0000${key!}`);
        if (a.mode === "delete") {
          this.remove(t, key!, undo);
          if (t.guard && guard != null) this.tomb(t.name, key!, guard, undo);
        } else {
          const next = { ...row };
          const values = named(a, op.values);
          // keep_existing in an update: set once, while the row's value is NULL.
          a.columns.forEach((c, i) => {
            if (c.name in values && fresh.writes(i) && !(c.keepExisting && next[c.name] != null))
              next[c.name] = c.combine ? combined(t.spec, c, row[c.name], values[c.name]) : values[c.name];
          });
          this.checkUniques(t.spec, key!, next);
          this.put(t, key!, next, undo);
          count();
        }
        out.ops.push(op);
        return;
      }
      case "append": {
        const values = named(a, op.values);
        if (t.spec.parent && !this.parentExists(t.spec, values)) {
          out.unmatched.push(t.name);
          if (a.ifMissing === "skip") out.skippedMissing++;
          else
            out.keep.push(
              `append ${t.name}: no ${t.spec.parent.table} row ${describeKey(t.spec.parent.columns, values)}`,
            );
          return;
        }
        const row = this.newRow(t.spec, values);
        const key = keyOf(
          t.spec,
          t.primaryKey,
          t.primaryKey.map((c) => row[c]),
        );
        // Idempotent: a row whose primary or a unique key is taken is not inserted again.
        if (!this.table(t).has(key) && this.uniqueOwner(t.spec, key, row) === undefined) {
          this.put(t, key, row, undo);
          this.created.push(`${t.name}\u0000${key}`);
        }
        out.ops.push(op);
        return;
      }
      case "replace": {
        const parentName = t.spec.parent!.table;
        const parentSpec = this.compiled.tableByName.get(parentName)!.spec;
        const parentKey = keyOf(parentSpec, parentSpec.primaryKey, op.where);
        // The rows of a replace that did not happen: the replaces nested under them do nothing.
        const notReplaced = () => {
          if (a.children.length === 0) return;
          const where = Object.fromEntries(a.where.map((w, i) => [w.name, op.where[i]]));
          for (const r of op.rows ?? []) {
            const row = { ...named(a, r), ...where };
            out.notReplaced.add(
              `${t.name}\u0000${keyOf(
                t.spec,
                t.primaryKey,
                t.primaryKey.map((c) => row[c]),
              )}`,
            );
          }
        };
        if (a.nested && out.notReplaced.has(`${parentName}\u0000${parentKey}`)) {
          notReplaced();
          return;
        }
        if (out.staleRows.has(`${parentName}\u0000${parentKey}`)) {
          out.stale.push(t.name);
          notReplaced();
          return;
        }
        if (!this.rows.get(parentName)!.has(parentKey)) {
          out.unmatched.push(t.name);
          if (a.ifMissing === "skip") out.skippedMissing++;
          else out.keep.push(noRow(a, op.where, parentName));
          notReplaced();
          return;
        }
        const where = Object.fromEntries(a.where.map((w, i) => [w.name, op.where[i]]));
        // The element rows there already (replaced, not created: they heal nothing).
        const existed = new Set<string>();
        for (const r of op.rows ?? []) {
          const row = { ...named(a, r), ...where };
          const key = keyOf(
            t.spec,
            t.primaryKey,
            t.primaryKey.map((c) => row[c]),
          );
          if (this.table(t).has(key)) existed.add(key);
        }
        this.removeChildren(t, op.where, undo);
        for (const r of op.rows ?? []) {
          const row = this.newRow(t.spec, { ...named(a, r), ...where });
          const key = keyOf(
            t.spec,
            t.primaryKey,
            t.primaryKey.map((c) => row[c]),
          );
          if (this.table(t).has(key))
            throw new Rejected(`${t.name}: duplicate child row ${describeKey(t.primaryKey, row)}`);
          this.checkUniques(t.spec, key, row);
          this.put(t, key, row, undo);
          if (!existed.has(key)) this.created.push(`${t.name}\u0000${key}`);
        }
        out.ops.push(op);
        return;
      }
    }
  }

  /** Whether the event's guard is older than the row's (or, no row, than its hard delete's). */
  private olderThan(t: CompiledTable, key: string, row: Row | undefined, guard: unknown): boolean {
    // No guard value: the table has none, or the action writes no stamp (`stamp: false`).
    if (!t.guard || guard === undefined) return false;
    const newest = row ? row[t.guard] : this.tombs.get(`${t.name}\u0000${key}`);
    return newest != null && compareGuard(guard, newest) < 0;
  }

  /** Records a hard delete's guard value when it is the newest. */
  private tomb(table: string, key: string, guard: unknown, undo: (() => void)[]): void {
    const id = `${table}\u0000${key}`;
    const old = this.tombs.get(id);
    if (old != null && compareGuard(guard, old) <= 0) return;
    this.tombs.set(id, guard);
    undo.push(() => (old === undefined ? this.tombs.delete(id) : this.tombs.set(id, old)));
  }

  /** The primary key of the row an update, soft delete or delete selects (by its primary or a unique key). */
  private find(a: CompiledAction, where: readonly unknown[]): string | undefined {
    const t = a.table;
    if (a.whereIsPrimary) return keyOf(t.spec, t.primaryKey, where);
    const names = a.where.map((w) => w.name);
    const u = t.spec.uniques.find(
      (k) => k.columns.length === names.length && k.columns.every((c) => names.includes(c)),
    )!;
    const wanted: Row = Object.fromEntries(names.map((n, i) => [n, where[i]]));
    if (u.columns.some((c) => wanted[c] === null)) return undefined;
    for (const [key, row] of this.table(t))
      if (u.columns.every((c) => sameValue(t.spec, c, row[c], wanted[c]))) return key;
    return undefined;
  }

  private parentExists(t: TableSpec, values: Row): boolean {
    const parent = t.parent!;
    const key = parent.columns.map((c) => values[c]);
    // A NULL in a foreign key refers to nothing, and MySQL does not check it.
    if (key.some((v) => v === null || v === undefined)) return true;
    const p = this.compiled.tableByName.get(parent.table)!.spec;
    return this.rows.get(parent.table)!.has(keyOf(p, p.primaryKey, key));
  }

  /** A new row: the values present, the columns' defaults for the rest. */
  private newRow(t: TableSpec, values: Row): Row {
    const row: Row = {};
    for (const col of t.columns.values()) {
      if (col.generated) continue;
      if (col.name in values) row[col.name] = values[col.name];
      else {
        const d = defaultOf(col);
        if (d === NO_DEFAULT)
          throw new Rejected(`${t.name}.${col.name} has no value and no default (it is NOT NULL)`);
        row[col.name] = d;
      }
    }
    return row;
  }

  /** Refuses a row whose unique key another row holds. */
  private checkUniques(t: TableSpec, key: string, row: Row): void {
    const owner = this.uniqueOwner(t, key, row);
    if (owner)
      throw new Rejected(
        `${t.name}: unique key (${owner.unique.columns.join(", ")}) = ${describeKey(owner.unique.columns, row)} already belongs to another row`,
      );
  }

  private uniqueOwner(t: TableSpec, key: string, row: Row): { unique: KeySpec } | undefined {
    for (const u of t.uniques) {
      if (u.columns.some((c) => row[c] === null || row[c] === undefined)) continue;
      for (const [k, other] of this.rows.get(t.name)!)
        if (k !== key && u.columns.every((c) => sameValue(t, c, other[c], row[c]))) return { unique: u };
    }
    return undefined;
  }

  /** Notes that a child row of an aggregated table changed: its parent's aggregates are recomputed. */
  private touch(t: CompiledTable, row: Row): void {
    const parent = t.spec.parent;
    if (!parent || !this.compiled.aggregates.get(parent.table)?.some((c) => c.child.name === t.name)) return;
    const p = this.compiled.tableByName.get(parent.table)!.spec;
    const values = parent.columns.map((c) => row[c]);
    const keys = this.touched.get(parent.table) ?? new Map<string, readonly unknown[]>();
    if (keys.size === 0) this.touched.set(parent.table, keys);
    keys.set(keyOf(p, p.primaryKey, values), values);
  }

  /**
   * The aggregate columns of the parent rows whose children the event wrote, from the children as
   * they are now: the number of matching children, or the sum of the product of their columns
   * (NULL products left out, as SUM leaves them), stored at the column's scale, rounded half away
   * from zero; out of the column's range, the event is refused, as strict MySQL refuses it.
   */
  private aggregate(undo: (() => void)[]): void {
    for (const [parent, keys] of this.touched) {
      const pt = this.compiled.tableByName.get(parent)!;
      for (const [key, values] of keys) {
        const row = this.table(pt).get(key);
        if (!row) continue;
        const next = { ...row };
        for (const c of this.compiled.aggregates.get(parent)!) {
          const fk = c.child.spec.parent!.columns;
          const children = [...this.table(c.child).values()].filter(
            (r) =>
              fk.every((col, i) => sameValue(c.child.spec, col, r[col], values[i])) &&
              c.where.every((w) =>
                w.value === null
                  ? r[w.column] === null
                  : sameValue(c.child.spec, w.column, r[w.column], w.value),
              ),
          );
          next[c.name] = c.fn === "count" ? children.length : summed(c, children);
        }
        this.put(pt, key, next, undo);
      }
    }
  }

  private put(t: CompiledTable, key: string, row: Row, undo: (() => void)[]): void {
    this.touch(t, row);
    const rows = this.table(t);
    const old = rows.get(key);
    rows.set(key, row);
    undo.push(() => (old === undefined ? rows.delete(key) : rows.set(key, old)));
  }

  /** Deletes a row and, as ON DELETE CASCADE does, its children and theirs. */
  private remove(t: CompiledTable, key: string, undo: (() => void)[]): void {
    const rows = this.table(t);
    const old = rows.get(key);
    if (!old) return;
    this.touch(t, old);
    rows.delete(key);
    undo.push(() => rows.set(key, old));
    for (const child of this.compiled.children.get(t.name) ?? [])
      this.removeChildren(
        child,
        t.primaryKey.map((c) => old[c]),
        undo,
      );
  }

  /** Deletes the children of one parent row (their parent columns equal to `parentKey`). */
  private removeChildren(child: CompiledTable, parentKey: readonly unknown[], undo: (() => void)[]): void {
    const cols = child.spec.parent!.columns;
    for (const [k, row] of [...this.table(child)])
      if (cols.every((c, i) => sameValue(child.spec, c, row[c], parentKey[i]))) this.remove(child, k, undo);
  }
}

/** A row as stored: column → value (as coerced; a table's generated columns are left out). */
export type Row = Record<string, unknown>;

/** What became of one record. */
export interface EventOutcome {
  readonly kind: "applied" | "unmatched" | "failed" | "skipped" | "filtered";
  /** The operations that wrote something, in order (stale and unmatched ones left out). */
  readonly ops: readonly MappedOp[];
  /** Tables where an operation of the event was stale. */
  readonly stale: readonly string[];
  /** Tables where an operation found no row. */
  readonly unmatched: readonly string[];
  /** Why the event was rejected (a `failed` letter). */
  readonly reason?: string;
  /** Actions left out because their row or parent row was not there (`if_missing: skip`). */
  readonly skippedMissing?: number;
  /** What the waiting letters its new rows healed wrote, in the order they were applied. */
  readonly healed?: readonly MappedOp[];
}

interface Outcome {
  ops: MappedOp[];
  stale: string[];
  unmatched: string[];
  keep: string[];
  /** Actions left out because their row or parent row was not there (`if_missing: skip`). */
  skippedMissing: number;
  /** Counting actions left out: the event was counted already. */
  alreadyCounted: number;
  staleRows: Set<string>;
  /** Rows of replaces that did not happen (stale, no parent row): nested replaces under them do nothing. */
  notReplaced: Set<string>;
}

/** An operation the database would refuse: the event is rejected whole. */
class Rejected {
  constructor(readonly reason: string) {}
}

/** The canonical text of a key: coerced values, so equal keys are equal text. */
function keyOf(t: TableSpec, cols: readonly string[], values: readonly unknown[]): string {
  return JSON.stringify(cols.map((c, i) => compared(t.columns.get(c)!.type, values[i])));
}

/** Whether two values of a column are equal as the database compares them (NULL equals nothing). */
function sameValue(t: TableSpec, col: string, a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  const type = t.columns.get(col)!.type;
  return JSON.stringify(compared(type, a)) === JSON.stringify(compared(type, b));
}

/**
 * A value as a key column compares it: decimals by their value (`12.5` = `12.50`), CHAR without
 * trailing spaces, text byte for byte (the key columns' binary NO PAD collation).
 */
function compared(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type.name === "decimal") {
    const s = String(v);
    const neg = s.startsWith("-");
    const [int = "0", frac = ""] = (neg ? s.slice(1) : s).split(".");
    const i = int.replace(/^0+(?=\d)/, "");
    const f = frac.replace(/0+$/, "");
    const body = f ? `${i}.${f}` : i;
    return neg && body !== "0" ? `-${body}` : body;
  }
  if (type.name === "char") return String(v).replace(/ +$/, "");
  return typeof v === "number" ? v : String(v);
}

/**
 * A combined column's new value (`combine:`), as MySQL computes it: a count adds the (already
 * negated, for subtract) value to the row's, NULL counting as 0; a mark keeps the greater (max) or
 * lesser (min) of the two. A count out of the column's range is refused, as strict MySQL refuses it.
 */
function combined(t: TableSpec, c: CompiledColumn, current: unknown, value: unknown): unknown {
  const type = t.columns.get(c.name)!.type;
  if (c.combine === "max" || c.combine === "min") {
    if (current === null || current === undefined) return value;
    const cmp = compareGuard(value, current);
    return (c.combine === "max" ? cmp > 0 : cmp < 0) ? value : current;
  }
  const out = () =>
    new Rejected(
      `${t.name}.${c.name}: ${String(current ?? 0)} + ${String(value)} is out of range for ${type.name}`,
    );
  if (type.name === "double") {
    const sum = Number(current ?? 0) + Number(value);
    if (!Number.isFinite(sum)) throw out();
    return sum;
  }
  if (type.name === "decimal") {
    const d = addDecimals(toDecimal(current ?? 0)!, toDecimal(value)!);
    // As the column holds it: at its scale (both terms are at it or below, so the sum is exact).
    const sum = decimalText(
      d.s >= type.scale ? d : { m: d.m * 10n ** BigInt(type.scale - d.s), s: type.scale },
    );
    const digits = sum.replace(/^-/, "").split(".")[0]!.replace(/^0+/, "").length;
    if (digits > type.precision - type.scale) throw out();
    return sum;
  }
  const sum = BigInt((current as number | string) ?? 0) + BigInt(value as number | string);
  const [lo, hi] = INT_RANGES[type.name] ?? INT_RANGES.bigint!;
  if (sum < lo || sum > hi) throw out();
  return Number.isSafeInteger(Number(sum)) ? Number(sum) : sum.toString();
}

/** Σ over the rows of the product of the `of` columns, as the aggregate column stores it. */
function summed(c: AggregateColumn, rows: readonly Row[]): unknown {
  let sum: Decimal = { m: 0n, s: 0 };
  for (const r of rows) {
    let product: Decimal = { m: 1n, s: 0 };
    let isNull = false;
    for (const o of c.of) {
      const v = r[o];
      if (v === null || v === undefined) isNull = true;
      else product = mulDecimals(product, toDecimal(v)!);
    }
    if (!isNull) sum = addDecimals(sum, product);
  }
  const type = c.type;
  const scale = type.name === "decimal" ? type.scale : 0;
  const rounded = roundDecimal(sum, scale, "half_up") ?? sum;
  const d = rounded.s >= scale ? rounded : { m: rounded.m * 10n ** BigInt(scale - rounded.s), s: scale };
  const text = decimalText(d);
  const digits = text.replace(/^-/, "").split(".")[0]!.replace(/^0+/, "").length;
  if (type.name === "decimal") {
    // Out of the column's range: NULL (a function of the children alone, whatever the batches).
    return digits > type.precision - type.scale ? null : text;
  }
  const [lo, hi] = INT_RANGES[type.name] ?? INT_RANGES.bigint!;
  const n = BigInt(text);
  if (n < lo || n > hi) return null;
  return Number.isSafeInteger(Number(n)) ? Number(n) : n.toString();
}

/** The present values of an op's row, by column name. */
function named(a: CompiledAction, values: readonly unknown[]): Row {
  const out: Row = {};
  a.columns.forEach((c, i) => {
    if (values[i] !== ABSENT) out[c.name] = values[i];
  });
  return out;
}

const NO_DEFAULT = Symbol("no default");

/** A column's value when an insert gives none: its default as stored, NULL, or none at all. */
function defaultOf(col: ColumnSpec): unknown {
  const stored = storedDefault(col);
  if (stored === undefined) return col.nullable ? null : NO_DEFAULT;
  return stored;
}

function describeKey(cols: readonly string[], row: Row): string {
  return cols.map((c) => `${c} = ${JSON.stringify(row[c] ?? null)}`).join(", ");
}

/** "update users: no row user_id = "u1"" (for a replace, the parent row it needs). */
function noRow(a: CompiledAction, where: readonly unknown[], parent?: string): string {
  const key = a.where.map((w, i) => `${w.name} = ${JSON.stringify(where[i] ?? null)}`).join(", ");
  return `${a.mode} ${a.table.name}: no ${parent ? `${parent} row` : "row"} ${key}`;
}

export type { LetterKind };
