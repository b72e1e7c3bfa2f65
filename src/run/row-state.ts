import * as crypto from "node:crypto";
import type { CompiledTable } from "../compile/compile.js";
import type { KeySpec, TableSpec } from "../specs/types.js";

/** Separates the values of a composite key; never inside an escaped value (see keyString). */
const SEP = "\u0001";
/** A value of a key as text, with the separator escaped so that keys split and prefix exactly. */
function keyPart(v: unknown): string {
  if (typeof v !== "string") return String(v);
  return v.indexOf(SEP) < 0 && v.indexOf("\u0002") < 0
    ? v
    : v.replace(/[\u0001\u0002]/g, (c) => (c === SEP ? "\u0002\u0003" : "\u0002\u0002"));
}

/**
 * A row's identity as a string: key values (coerced, as the database holds them: decimals at their
 * scale, CHAR without trailing spaces) joined by a separator no escaped value contains. Exact, as
 * key columns compare in the database (a binary NO PAD collation: `a`, `A` and `a ` are three rows).
 * A child's key starts with its parent's key and the separator (its primary key starts with the
 * parent columns), so the children of a row are the keys with that prefix.
 */
export function keyString(values: readonly unknown[]): string {
  if (values.length === 1) return keyPart(values[0]);
  let out = keyPart(values[0]);
  for (let i = 1; i < values.length; i++) out += SEP + keyPart(values[i]);
  return out;
}

/** The key of the parent row: the first `n` values of a child's key string. */
export function parentKeyString(childKey: string, n: number): string {
  let at = -1;
  for (let i = 0; i < n; i++) {
    at = childKey.indexOf(SEP, at + 1);
    if (at < 0) return childKey;
  }
  return childKey.slice(0, at);
}

/**
 * A unique key's value as a string, or undefined when a column is NULL (NULL is never equal to
 * anything in a unique key: any number of rows may have it) or unknown.
 */
export function uniqueString(u: KeySpec, values: ReadonlyMap<string, unknown>): string | undefined {
  if (u.columns.length === 1) {
    const v = values.get(u.columns[0]!);
    return v === null || v === undefined ? undefined : keyPart(v);
  }
  const parts: unknown[] = [];
  for (const c of u.columns) {
    const v = values.get(c);
    if (v === null || v === undefined) return undefined;
    parts.push(v);
  }
  return keyString(parts);
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * Orders guard values: numbers numerically, decimals (exact text, as coerced and as MySQL returns
 * them) by value, timestamps (`YYYY-MM-DD HH:MM:SS.ffffff`) as text.
 */
export function compareGuard(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number" || typeof b === "number") return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  if (DECIMAL.test(x) && DECIMAL.test(y)) return compareDecimals(x, y);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Compares two decimal strings exactly (no float rounding): `9.5` < `10` < `10.01`. */
export function compareDecimals(x: string, y: string): number {
  const nx = x.startsWith("-");
  const ny = y.startsWith("-");
  const [xi = "", xf = ""] = (nx ? x.slice(1) : x).split(".");
  const [yi = "", yf = ""] = (ny ? y.slice(1) : y).split(".");
  const int = (s: string) => s.replace(/^0+/, "");
  const frac = (s: string) => s.replace(/0+$/, "");
  const ai = int(xi);
  const bi = int(yi);
  const af = frac(xf);
  const bf = frac(yf);
  const zero = (i: string, f: string) => i === "" && f === "";
  const sx = zero(ai, af) ? 0 : nx ? -1 : 1;
  const sy = zero(bi, bf) ? 0 : ny ? -1 : 1;
  if (sx !== sy) return sx - sy;
  if (sx === 0) return 0;
  let mag: number;
  if (ai.length !== bi.length) mag = ai.length - bi.length;
  else if (ai !== bi) mag = ai < bi ? -1 : 1;
  else {
    const width = Math.max(af.length, bf.length);
    const pa = af.padEnd(width, "0");
    const pb = bf.padEnd(width, "0");
    mag = pa === pb ? 0 : pa < pb ? -1 : 1;
  }
  return sx < 0 ? -mag : mag;
}

export interface KnownRow {
  /** Guard value of the row (null when the table has no guard or the row has none). */
  guard: unknown;
  /** The values of the table's unique-key columns, as stored (tables with unique keys). */
  values?: Map<string, unknown>;
  /** Unique-key name → key string, for the unique keys with no NULL column. */
  uniques?: Map<string, string>;
  /** The values of the table's group guards (`guards:`), as stored (tables with groups). */
  groups?: Map<string, unknown>;
}

/** The tombstone's key: one row of one table, whatever its key's length (SHA-1 of table and key). */
export function tombstoneHash(table: string, key: string): Buffer {
  // crypto.hash (Node ≥ 20.12) is the one-shot form, about 40 % cheaper than a Hash object per row.
  return oneShot
    ? (oneShot("sha1", `${table}\u0000${key}`, "buffer") as Buffer)
    : crypto.createHash("sha1").update(table).update("\u0000").update(key).digest();
}
/** A counting op's key in its table's `__counted` table: SHA-1 of its identity (MappedOp.countId). */
export function countHash(countId: string): Buffer {
  return oneShot
    ? (oneShot("sha1", countId, "buffer") as Buffer)
    : crypto.createHash("sha1").update(countId).digest();
}
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "buffer") => Buffer }).hash;

/**
 * What is known of existing rows: loaded from MySQL per batch, or kept in memory by `projector test`.
 * Changes made while an event is decided can be undone (begin/rollback): an event is applied whole
 * or not at all.
 */
export class RowState {
  private readonly rows = new Map<string, Map<string, KnownRow>>();
  private readonly byUnique = new Map<string, string>();
  /**
   * Unique values whose owner this state knows (looked up, or held by a row it knew at some point):
   * a value outside it may belong to a row the batch never read. Only grows.
   */
  private readonly knownUniques = new Set<string>();
  /**
   * Unique values a write took without this state knowing their owner (`table\u0002name\u0002value`
   * → the values): an upsert that keeps part of a composite unique key from its row only learns the
   * value once the row is read. The planner looks them up and decides the batch again.
   */
  readonly unknownUniques = new Map<string, { table: string; unique: string; values: readonly unknown[] }>();
  /** Rows deleted by the batch (`table\u0000key`): known to be absent, whatever MySQL said before. */
  private readonly deleted = new Set<string>();
  /**
   * Guard values of hard-deleted rows (`table\u0000key`): an event older than the deletion must not
   * bring the row back. Kept while the row is absent (and after it is re-created: harmless then).
   */
  private readonly tombs = new Map<string, unknown>();
  /** Child tables: parent key → the keys of the known rows under it (a cascade finds them here). */
  private readonly under = new Map<string, Map<string, Set<string>>>();
  /** Child tables: how many leading key values are the parent's key. */
  private readonly parentWidth = new Map<string, number>();
  /** Counting ops known to be applied (`table\u0000countId`): read for the batch, or applied by it. */
  private readonly countedOps = new Set<string>();
  /** Undo steps of the event being decided (undefined: not recording). */
  private journal: (() => void)[] | undefined;

  private table(name: string): Map<string, KnownRow> {
    let t = this.rows.get(name);
    if (!t) {
      t = new Map();
      this.rows.set(name, t);
    }
    return t;
  }

  /** Starts recording changes, to be undone by rollback() or kept by commit(). */
  begin(): void {
    this.journal = [];
  }

  /** Undoes the changes since begin(). */
  rollback(): void {
    const j = this.journal ?? [];
    this.journal = undefined;
    for (let i = j.length - 1; i >= 0; i--) j[i]!();
  }

  /** Keeps the changes since begin(). */
  commit(): void {
    this.journal = undefined;
  }

  /** Whether the counting op was applied to the table (by an earlier batch, or this one). */
  isCounted(table: string, countId: string): boolean {
    return this.countedOps.size > 0 && this.countedOps.has(`${table}\u0000${countId}`);
  }

  /** The counting op is applied (or known to be). */
  count(table: string, countId: string): void {
    const id = `${table}\u0000${countId}`;
    if (this.countedOps.has(id)) return;
    this.countedOps.add(id);
    this.journal?.push(() => this.countedOps.delete(id));
  }

  get(table: string, key: string): KnownRow | undefined {
    return this.rows.get(table)?.get(key);
  }

  /** Primary key string of the row with this unique key, if known. */
  resolveUnique(table: string, uniqueName: string, key: string): string | undefined {
    return this.byUnique.get(`${table}\u0002${uniqueName}\u0002${key}`);
  }

  /** The unique value was looked up: its owner, if it has one, is (or was) among the rows written here. */
  lookedUp(table: string, uniqueName: string, key: string): void {
    this.knownUniques.add(`${table}\u0002${uniqueName}\u0002${key}`);
  }

  /** Whether the state knows who holds this unique value (nobody, maybe). */
  knowsUnique(table: string, uniqueName: string, key: string): boolean {
    const id = `${table}\u0002${uniqueName}\u0002${key}`;
    return this.knownUniques.has(id) || this.byUnique.has(id);
  }

  /** A unique value a write took without the state knowing its owner: for the planner to look up. */
  noteUnknown(table: string, uniqueName: string, key: string, values: readonly unknown[]): void {
    this.unknownUniques.set(`${table}\u0002${uniqueName}\u0002${key}`, { table, unique: uniqueName, values });
  }

  /** The guard value the row was hard-deleted with, if it was (by this batch or before it). */
  tomb(table: string, key: string): unknown {
    return this.tombs.size === 0 ? undefined : this.tombs.get(`${table}\u0000${key}`);
  }

  /** Records a hard delete's guard value, when it is newer than the one recorded. */
  setTomb(table: string, key: string, guard: unknown): void {
    const id = `${table}\u0000${key}`;
    const old = this.tombs.get(id);
    if (old != null && compareGuard(guard, old) <= 0) return;
    this.tombs.set(id, guard);
    this.journal?.push(() => (old === undefined ? this.tombs.delete(id) : this.tombs.set(id, old)));
  }

  /** Whether this state knows the row: present, or deleted by the batch. */
  knows(table: string, key: string): boolean {
    return this.rows.get(table)?.has(key) === true || this.deleted.has(`${table}\u0000${key}`);
  }

  /**
   * The row as it is after a write: its guard value (undefined: unchanged) and the new values of
   * its unique-key columns (those not given are unchanged). Creates the row when it is unknown.
   */
  write(
    t: TableSpec,
    key: string,
    guard: unknown,
    values?: ReadonlyMap<string, unknown>,
    /** Group guards (`guards:`) the write moves; those not given are unchanged. */
    groups?: ReadonlyMap<string, unknown>,
  ): void {
    const id = `${t.name}\u0000${key}`;
    if (this.deleted.has(id)) {
      this.deleted.delete(id);
      this.journal?.push(() => this.deleted.add(id));
    }
    const rows = this.table(t.name);
    const existing = rows.get(key);
    if (this.journal) {
      const before = existing && {
        guard: existing.guard,
        values: new Map(existing.values),
        uniques: new Map(existing.uniques),
        ...(existing.groups ? { groups: new Map(existing.groups) } : {}),
      };
      this.journal.push(() => {
        const now = rows.get(key);
        if (now) this.unindex(t.name, key, now);
        if (before) {
          rows.set(key, before);
          this.index(t.name, key, before);
        } else {
          rows.delete(key);
          this.unlink(t.name, key);
        }
      });
    }
    const row: KnownRow = existing ?? { guard: null };
    if (!existing && t.parent) this.link(t.name, t.parent.columns.length, key);
    if (guard !== undefined) row.guard = guard;
    if (groups && groups.size > 0) {
      row.groups ??= new Map();
      for (const [g, v] of groups) row.groups.set(g, v);
    }
    if (values && values.size > 0) {
      row.values ??= new Map();
      const all = row.values;
      for (const [c, v] of values) all.set(c, v);
      for (const u of t.uniques) {
        const now = uniqueString(u, all);
        const old = row.uniques?.get(u.name);
        if (now === old) continue;
        const was = old === undefined ? undefined : `${t.name}\u0002${u.name}\u0002${old}`;
        if (was !== undefined && this.byUnique.get(was) === key) this.byUnique.delete(was);
        if (now === undefined) row.uniques?.delete(u.name);
        else {
          row.uniques ??= new Map();
          row.uniques.set(u.name, now);
          const id = `${t.name}\u0002${u.name}\u0002${now}`;
          this.byUnique.set(id, key);
          this.knownUniques.add(id);
        }
      }
    }
    rows.set(key, row);
  }

  private index(table: string, key: string, row: KnownRow): void {
    if (!row.uniques) return;
    for (const [name, value] of row.uniques) {
      const id = `${table}\u0002${name}\u0002${value}`;
      this.byUnique.set(id, key);
      this.knownUniques.add(id);
    }
  }

  private unindex(table: string, key: string, row: KnownRow): void {
    if (!row.uniques) return;
    for (const [name, value] of row.uniques) {
      const id = `${table}\u0002${name}\u0002${value}`;
      if (this.byUnique.get(id) === key) this.byUnique.delete(id);
    }
  }

  /**
   * A copy of what this state knows of one row, for the state of the next batch: the row (with its
   * unique keys) or its deletion. False when this state does not know the row.
   */
  copyRowTo(target: RowState, t: TableSpec, key: string): boolean {
    const row = this.rows.get(t.name)?.get(key);
    if (row) target.write(t, key, row.guard, row.values, row.groups);
    const tomb = this.tomb(t.name, key);
    if (tomb != null) target.setTomb(t.name, key, tomb);
    if (row) return true;
    if (this.deleted.has(`${t.name}\u0000${key}`)) {
      target.deleted.add(`${t.name}\u0000${key}`);
      return true;
    }
    return false;
  }

  /**
   * The row is hard-deleted, and with it, as ON DELETE CASCADE does, the known rows of its children
   * (`childrenOf` gives a table's child tables), theirs, and so on; with `guard` (the event's guard
   * value) it leaves a tombstone.
   */
  delete(
    table: CompiledTable,
    key: string,
    childrenOf: (table: string) => readonly CompiledTable[],
    guard?: unknown,
  ): void {
    if (guard != null) this.setTomb(table.name, key, guard);
    this.forget(table.name, key);
    for (const c of childrenOf(table.name)) this.deleteChildren(c, key, childrenOf);
  }

  /** The known rows of a child table under one parent row are deleted, and their children with them. */
  deleteChildren(
    child: CompiledTable,
    parentKey: string,
    childrenOf: (table: string) => readonly CompiledTable[],
  ): void {
    const keys = this.under.get(child.name)?.get(parentKey);
    if (keys)
      for (const k of [...keys]) {
        this.forget(child.name, k);
        for (const c of childrenOf(child.name)) this.deleteChildren(c, k, childrenOf);
      }
    // Rows further down whose own parent this state does not know (a bin read by its unique value,
    // its rack not read): a child's key starts with its parent's, so they are under that prefix.
    const below = childrenOf(child.name);
    if (below.length > 0) {
      const prefix = parentKey + SEP;
      for (const c of below) this.deleteUnderPrefix(c, prefix, childrenOf);
    }
  }

  /** Forgets the known rows of `table` and its descendants whose parent key starts with `prefix`. */
  private deleteUnderPrefix(
    table: CompiledTable,
    prefix: string,
    childrenOf: (table: string) => readonly CompiledTable[],
  ): void {
    const byParent = this.under.get(table.name);
    if (byParent)
      for (const [parent, keys] of [...byParent])
        if (parent.startsWith(prefix)) for (const k of [...keys]) this.forget(table.name, k);
    for (const c of childrenOf(table.name)) this.deleteUnderPrefix(c, prefix, childrenOf);
  }

  /** One row is gone (known absent). */
  private forget(table: string, key: string): void {
    const rows = this.rows.get(table);
    const row = rows?.get(key);
    if (row) {
      this.unindex(table, key, row);
      rows!.delete(key);
      this.unlink(table, key);
    }
    const id = `${table}\u0000${key}`;
    const wasDeleted = this.deleted.has(id);
    this.deleted.add(id);
    this.journal?.push(() => {
      if (!wasDeleted) this.deleted.delete(id);
      if (row) {
        rows!.set(key, row);
        this.index(table, key, row);
        this.relink(table, key);
      }
    });
  }

  /** Records a child row under its parent's key. */
  private link(table: string, width: number, key: string): void {
    this.parentWidth.set(table, width);
    let byParent = this.under.get(table);
    if (!byParent) {
      byParent = new Map();
      this.under.set(table, byParent);
    }
    const parent = parentKeyString(key, width);
    let keys = byParent.get(parent);
    if (!keys) {
      keys = new Set();
      byParent.set(parent, keys);
    }
    keys.add(key);
  }

  private relink(table: string, key: string): void {
    const width = this.parentWidth.get(table);
    if (width !== undefined) this.link(table, width, key);
  }

  private unlink(table: string, key: string): void {
    const width = this.parentWidth.get(table);
    if (width === undefined) return;
    const byParent = this.under.get(table)!;
    const parent = parentKeyString(key, width);
    const keys = byParent.get(parent);
    keys?.delete(key);
    if (keys?.size === 0) byParent.delete(parent);
  }
}
