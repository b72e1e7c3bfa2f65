import { setTimeout as sleep } from "node:timers/promises";
import type { Admin, Kafka } from "kafkajs";
import { log } from "../../core/log.js";

/** Creates the topics that do not exist yet, with `partitions` partitions each. */
export async function ensureTopics(
  kafka: Kafka,
  topics: Iterable<string>,
  partitions: number,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
        // kafkajs's own wait gives up when the broker does not know a topic it has just created
        // (UNKNOWN_TOPIC_OR_PARTITION, seen on KRaft while topics are created concurrently).
        waitForLeaders: false,
      });
      await waitForLeaders(admin, missing);
      log.info("created topics", { topics: missing, partitions });
    }
  } finally {
    await admin.disconnect();
  }
}

/** Waits until every partition of `topics` has a leader, retrying the broker's retriable answers. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (
        meta.length === topics.length &&
        meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
      )
        return;
    } catch (e) {
      if (!(e as { retriable?: boolean }).retriable || Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`no leaders for ${topics.join(", ")} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** A partition's earliest and next offsets in the broker (its low and high watermarks). */
export interface Watermarks {
  readonly partition: number;
  readonly low: bigint;
  readonly high: bigint;
}

/** The watermarks of every partition of a topic. */
export async function watermarks(admin: Admin, topic: string): Promise<Watermarks[]> {
  return (await admin.fetchTopicOffsets(topic)).map((o) => ({
    partition: o.partition,
    low: BigInt(o.low),
    high: BigInt(o.high),
  }));
}
