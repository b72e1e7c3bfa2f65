import type { Admin } from "kafkajs";
import { partitionKey } from "../../core/source-record.js";
import type { OffsetsReader } from "./mysql-positions.js";
import type { Partitions } from "./partitions.js";
import { watermarks } from "./topics.js";

/**
 * Lag, computed one way for `run` (until-caught-up), its metrics and `status`: from the broker's
 * watermarks and the offsets MySQL applied.
 */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to apply (from MySQL), or null when nothing was applied yet. */
  readonly next: bigint | null;
  readonly high: bigint;
  readonly low: bigint;
  /** Broker timestamp (ms) of the last applied message, when known. */
  readonly lastTimestamp?: number | undefined;
}

/** Events in the partition not applied yet: from MySQL's offset (or the earliest one, without) to the end. */
export function lagEvents(l: PartitionLag): number {
  return Math.max(0, Number(l.high - (l.next ?? l.low)));
}

/** Age of the last applied message while the partition has lag (0 when caught up or unknown). */
export function lagSeconds(l: PartitionLag, now: number): number {
  return lagEvents(l) > 0 && l.lastTimestamp !== undefined ? Math.max(0, (now - l.lastTimestamp) / 1000) : 0;
}

/** Whether every partition is applied to its end (an empty partition is). */
export function caughtUp(lags: readonly PartitionLag[]): boolean {
  return lags.every((l) => l.high <= l.low || (l.next !== null && l.next >= l.high));
}

/** Lag of each assigned partition: the broker's watermarks against what MySQL applied (as known, else stored). */
export async function assignedLags(
  admin: Admin,
  p: Partitions,
  offsets: Pick<OffsetsReader, "stored">,
): Promise<PartitionLag[]> {
  const topics = [...new Set(p.assigned.map((a) => a.topic))];
  const lags: PartitionLag[] = [];
  for (const topic of topics) {
    for (const w of await watermarks(admin, topic)) {
      if (!p.assigned.some((a) => a.topic === topic && a.partition === w.partition)) continue;
      const key = partitionKey(topic, w.partition);
      let next = p.appliedTo(key);
      if (next === undefined) next = await offsets.stored(topic, w.partition);
      lags.push({
        topic,
        partition: w.partition,
        next,
        high: w.high,
        low: w.low,
        lastTimestamp: p.lastTimestamp.get(key),
      });
    }
  }
  return lags;
}
