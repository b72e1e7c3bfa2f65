import type { CompiledTable } from "../compile/plan.js";

/** A row's identity as a string: key values joined by a separator no coerced value contains. */
export function keyString(values: readonly unknown[]): string {
  return values.length === 1 ? String(values[0]) : values.map(String).join("\u0001");
}

/** Orders guard values: numbers numerically, timestamps (`YYYY-MM-DD HH:MM:SS.ffffff`) as text. */
export function compareGuard(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number" || typeof b === "number") return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface KnownRow {
  /** Guard value of the row (null when the table has no guard or the row has none). */
  guard: unknown;
  /** Unique-key name → key string, for the unique keys some action selects rows by. */
  uniques: Map<string, string>;
}

/** What is known of existing rows: loaded from MySQL per batch, or kept in memory by `projector test`. */
export class RowState {
  private readonly rows = new Map<string, Map<string, KnownRow>>();
  private readonly byUnique = new Map<string, string>();
  /** Rows deleted by the batch (`table\u0000key`): known to be absent, whatever MySQL said before. */
  private readonly deleted = new Set<string>();

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
    if (row) {
      target.set(table, key, row.guard, new Map(row.uniques));
      return true;
    }
    if (this.deleted.has(`${table}\u0000${key}`)) {
      target.deleted.add(`${table}\u0000${key}`);
      return true;
    }
    return false;
  }

  delete(table: CompiledTable, key: string, children: readonly CompiledTable[]): void {
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
