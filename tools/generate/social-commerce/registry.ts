import type { Rng } from "./rng.js";

/** What a Registry needs of an entity. */
export interface Entity<S extends string> {
  id: string;
  status: S;
  /** position in its status bucket; owned by the Registry (cheaper than a Map per bucket) */
  slot: number;
}

/** Live entities of one kind, bucketed by state-machine status so "a random paused promotion" is O(1). */
export class Registry<S extends string, T extends Entity<S>> {
  private readonly buckets = {} as Record<S, T[]>;
  private readonly byId = new Map<string, T>();
  private readonly statuses: readonly S[];

  constructor(statuses: readonly S[]) {
    this.statuses = statuses;
    for (const s of statuses) this.buckets[s] = [];
  }

  /** live entities, all statuses */
  get size(): number {
    return this.byId.size;
  }

  /** the live entity with this id (undefined once removed or retired) */
  get(id: string): T | undefined {
    return this.byId.get(id);
  }

  /** start tracking `entity` in the bucket of its current status */
  add(entity: T): void {
    this.byId.set(entity.id, entity);
    this.attach(entity);
  }

  /** stop tracking `entity` (deleted, final state, or retired) */
  remove(entity: T): void {
    this.byId.delete(entity.id);
    this.detach(entity);
  }

  /** a state-machine transition: sets `entity.status` and re-buckets it */
  move(entity: T, to: S): void {
    this.detach(entity);
    entity.status = to;
    this.attach(entity);
  }

  /** live entities in `statuses` (all when none are given): the actions' possible() checks */
  count(...statuses: S[]): number {
    if (statuses.length === 0) return this.byId.size;
    let n = 0;
    for (const s of statuses) n += this.buckets[s].length;
    return n;
  }

  /**
   * A uniformly random entity among those in `statuses` (all statuses when none are given).
   * Always consumes one draw, even when there is none to return.
   */
  random(rng: Rng, ...statuses: S[]): T | undefined {
    const from = statuses.length > 0 ? statuses : this.statuses;
    let total = 0;
    for (const s of from) total += this.buckets[s].length;
    let r = Math.floor(rng.float() * total);
    for (const s of from) {
      const bucket = this.buckets[s];
      if (r < bucket.length) return bucket[r];
      r -= bucket.length;
    }
    return undefined;
  }

  private attach(entity: T): void {
    const bucket = this.buckets[entity.status];
    entity.slot = bucket.length;
    bucket.push(entity);
  }

  /** Swap-remove: the last entity of the bucket takes the freed slot. */
  private detach(entity: T): void {
    const bucket = this.buckets[entity.status];
    const last = bucket.pop()!;
    if (last !== entity) {
      bucket[entity.slot] = last;
      last.slot = entity.slot;
    }
    entity.slot = -1;
  }
}
