import { partitionKey } from "../../core/source-record.js";

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * What the consumer knows of the partitions it owns, per partitionKey: how far MySQL applied them,
 * how far their records are queued, what was committed to Kafka. Forgotten on every group join (a
 * new owner reads again from MySQL) and, for what is queued, on every rewind.
 */
export class Partitions {
  /** The partitions of the current assignment. */
  assigned: readonly TopicPartition[] = [];
  /** Their keys. */
  private mine = new Set<string>();
  /** Next offset as known from MySQL (null: nothing applied yet); it only moves forward. */
  private readonly applied = new Map<string, bigint | null>();
  /** Next offset to hand to the group commit: ahead of `applied` by what is queued. */
  readonly queued = new Map<string, bigint | null>();
  /** Partitions whose first fetch was checked against where MySQL is (and seeked back if needed). */
  readonly checked = new Set<string>();
  /** Offsets last committed to Kafka (MySQL's, a little later). */
  private readonly committed = new Map<string, bigint>();
  /**
   * The first offset of records a failed transaction rejected (MySQL refused it whole, or a bug)
   * and no commit applied yet: the run is not ready while there is any.
   */
  readonly stuck = new Map<string, bigint>();
  /** Broker timestamp (ms) of the last applied message. */
  readonly lastTimestamp = new Map<string, number>();
  /** Partitions whose last fetch left records on the broker (its offset lag was above 0). */
  private readonly fetchBehind = new Set<string>();

  /** A group join: a new assignment, everything known of the old one forgotten (stuck ones we keep). */
  assign(assigned: readonly TopicPartition[]): void {
    this.assigned = assigned;
    this.applied.clear();
    this.queued.clear();
    this.checked.clear();
    this.committed.clear();
    this.fetchBehind.clear();
    const mine = new Set(assigned.map((a) => partitionKey(a.topic, a.partition)));
    this.mine = mine;
    for (const key of this.stuck.keys()) if (!mine.has(key)) this.stuck.delete(key);
  }

  /** A rewind: what was queued is thrown away; it is read again from MySQL's offsets. */
  forgetQueued(): void {
    this.queued.clear();
    this.checked.clear();
  }

  /** MySQL's offset, or undefined when not read yet this assignment. */
  appliedTo(key: string): bigint | null | undefined {
    return this.applied.get(key);
  }

  /** MySQL's offset as last read or committed: only raised (reads may finish out of order). */
  raiseApplied(key: string, offset: bigint | null): void {
    const cur = this.applied.get(key);
    if (cur === undefined || (offset !== null && (cur === null || cur < offset)))
      this.applied.set(key, offset);
  }

  /** The partitions where MySQL applied more than was committed to Kafka, with the offset to commit. */
  toCommit(): { topic: string; partition: number; key: string; next: bigint }[] {
    return this.assigned.flatMap(({ topic, partition }) => {
      const key = partitionKey(topic, partition);
      const next = this.applied.get(key);
      if (next === undefined || next === null || (this.committed.get(key) ?? -1n) >= next) return [];
      return [{ topic, partition, key, next }];
    });
  }

  /** What a fetch of `key` left on the broker: whether records were left behind its last one. */
  fetched(key: string, behind: boolean): void {
    // A handler of a partition this member no longer owns (it ended after a rejoin) tells nothing.
    if (behind && this.mine.has(key)) this.fetchBehind.add(key);
    else this.fetchBehind.delete(key);
  }

  /** Whether another partition's last fetch left records on the broker (the consumer is behind). */
  behindElsewhere(key: string): boolean {
    return this.fetchBehind.size > (this.fetchBehind.has(key) ? 1 : 0);
  }

  markCommitted(key: string, next: bigint): void {
    this.committed.set(key, next);
  }
}
