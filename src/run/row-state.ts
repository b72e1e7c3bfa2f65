import * as crypto from "node:crypto";
import type { CompiledTable } from "../compile/compile.js";

/**
 * A row's identity as a string: key values joined by a separator no coerced value contains. Exact,
 * as key columns compare in the database (a binary NO PAD collation: `a`, `A` and `a ` are three rows).
 */
export function keyString(values: readonly unknown[]): string {
  return values.length === 1 ? String(values[0]) : values.map(String).join("\u0001");
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
  /** Unique-key name → key string, for the unique keys some action selects rows by. */
  uniques: Map<string, string>;
}

/** The tombstone's key: one row of one table, whatever its key's length (SHA-1 of table and key). */
export function tombstoneHash(table: string, key: string): Buffer {
  // crypto.hash (Node ≥ 20.12) is the one-shot form, about 40 % cheaper than a Hash object per row.
  return oneShot
    ? (oneShot("sha1", `${table}\u0000${key}`, "buffer") as Buffer)
    : crypto.createHash("sha1").update(table).update("\u0000").update(key).digest();
}
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "buffer") => Buffer }).hash;

/** What is known of existing rows: loaded from MySQL per batch, or kept in memory by `projector test`. */
export class RowState {
  private readonly rows = new Map<string, Map<string, KnownRow>>();
  private readonly byUnique = new Map<string, string>();
  /** Rows deleted by the batch (`table\u0000key`): known to be absent, whatever MySQL said before. */
  private readonly deleted = new Set<string>();
  /**
   * Guard values of hard-deleted rows (`table\u0000key`): an event older than the deletion must not
   * bring the row back. Kept while the row is absent (and after it is re-created: harmless then).
   */
  private readonly tombs = new Map<string, unknown>();

  private table(name: string): Map<string, KnownRow> {
    let t = this.rows.get(name);
    if (!t) {
      t = new Map();
      this.rows.set(name, t);
    }
    return t;
  }

  get(table: string, key: string): KnownRow | undefined {
    return this.rows.get(table)?.get(key);
  }

  /** Primary key string of the row with this unique key, if known. */
  resolveUnique(table: string, uniqueName: string, key: string): string | undefined {
    return this.byUnique.get(`${table}\u0002${uniqueName}\u0002${key}`);
  }

  /** The guard value the row was hard-deleted with, if it was (by this batch or before it). */
  tomb(table: string, key: string): unknown {
    return this.tombs.size === 0 ? undefined : this.tombs.get(`${table}\u0000${key}`);
  }

  setTomb(table: string, key: string, guard: unknown): void {
    const id = `${table}\u0000${key}`;
    const old = this.tombs.get(id);
    if (old == null || compareGuard(guard, old) > 0) this.tombs.set(id, guard);
  }

  /** Whether this state knows the row: present, or deleted by the batch. */
  knows(table: string, key: string): boolean {
    return this.rows.get(table)?.has(key) === true || this.deleted.has(`${table}\u0000${key}`);
  }

  set(table: string, key: string, guard: unknown, uniques?: Map<string, string>): void {
    if (this.deleted.size > 0) this.deleted.delete(`${table}\u0000${key}`);
    const t = this.table(table);
    const existing = t.get(key);
    const row: KnownRow = existing ?? { guard: null, uniques: new Map() };
    if (guard !== undefined) row.guard = guard;
    if (uniques) {
      for (const [name, value] of uniques) {
        const old = row.uniques.get(name);
        if (old !== undefined) this.byUnique.delete(`${table}\u0002${name}\u0002${old}`);
        row.uniques.set(name, value);
        this.byUnique.set(`${table}\u0002${name}\u0002${value}`, key);
      }
    }
    t.set(key, row);
  }

  /**
   * A copy of what this state knows of one row, for the state of the next batch: the row (with its
   * unique keys) or its deletion. False when this state does not know the row.
   */
  copyRowTo(target: RowState, table: string, key: string): boolean {
    const row = this.rows.get(table)?.get(key);
    if (row) target.set(table, key, row.guard, new Map(row.uniques));
    const tomb = this.tomb(table, key);
    if (tomb != null) target.setTomb(table, key, tomb);
    if (row) return true;
    if (this.deleted.has(`${table}\u0000${key}`)) {
      target.deleted.add(`${table}\u0000${key}`);
      return true;
    }
    return false;
  }

  /** The row is hard-deleted; with `guard` (the event's guard value) it leaves a tombstone. */
  delete(table: CompiledTable, key: string, children: readonly CompiledTable[], guard?: unknown): void {
    if (guard != null) this.setTomb(table.name, key, guard);
    const t = this.rows.get(table.name);
    const row = t?.get(key);
    if (row)
      for (const [name, value] of row.uniques)
        this.byUnique.delete(`${table.name}\u0002${name}\u0002${value}`);
    t?.delete(key);
    this.deleted.add(`${table.name}\u0000${key}`);
    // Children cascade; only parents are ever looked up, so forgetting the direct children is enough.
    for (const child of children) {
      const c = this.rows.get(child.name);
      if (!c) continue;
      for (const k of [...c.keys()]) if (k === key || k.startsWith(`${key}\u0001`)) c.delete(k);
    }
  }
}
