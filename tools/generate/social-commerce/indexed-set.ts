import type { Rng } from "./rng.js";

/** A set with O(1) add, delete and uniform random pick (swap-remove over an array). */
export class IndexedSet<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<T, number>();

  get size(): number {
    return this.items.length;
  }

  has(value: T): boolean {
    return this.index.has(value);
  }

  add(value: T): void {
    if (this.index.has(value)) return;
    this.index.set(value, this.items.length);
    this.items.push(value);
  }

  delete(value: T): boolean {
    const i = this.index.get(value);
    if (i === undefined) return false;
    const last = this.items.pop()!;
    if (i < this.items.length) {
      this.items[i] = last;
      this.index.set(last, i);
    }
    this.index.delete(value);
    return true;
  }

  /** the element at position `i` (positions change on delete) */
  at(i: number): T {
    return this.items[i]!;
  }

  /** a uniformly random element; undefined, without consuming a draw, when empty */
  random(rng: Rng): T | undefined {
    return this.items.length === 0 ? undefined : this.items[Math.floor(rng.float() * this.items.length)];
  }

  /** the elements, in no meaningful order; a live view, not a copy */
  values(): readonly T[] {
    return this.items;
  }
}
