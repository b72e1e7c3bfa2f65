import { randomUUID } from "node:crypto";
import { type Kafka, type Message, Partitioners } from "kafkajs";
import { topicOf } from "../compile/compile.js";
import { log } from "../core/log.js";
import { jsonlBatches } from "../source/jsonl.js";
import { ensureTopics } from "../source/kafka/topics.js";

export interface EmitResult {
  sent: number;
  rejected: number;
  seconds: number;
  topics: string[];
}

/**
 * Turns a JSONL line into a Kafka message. Envelopes go as they are (the original bytes);
 * `{event_type, entity_id, data}` lines get an envelope (uuid event_id, ISO timestamp), as the
 * platform's backend does. Anything else is refused with the reason.
 */
export function toMessage(
  line: Buffer,
  topicPrefix = "",
): { topic: string; message: Message } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line.toString("utf8"));
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { error: "not a JSON object" };
  const o = v as Record<string, unknown>;
  if (typeof o.event_type !== "string" || !o.event_type.includes("."))
    return { error: "event_type (topic.action) is missing" };
  if (typeof o.entity_id !== "string" || o.entity_id === "") return { error: "entity_id is missing" };
  const topic = topicPrefix + topicOf(o.event_type);
  if (typeof o.event_id === "string" && typeof o.timestamp === "string") {
    return { topic, message: { key: o.entity_id, value: line } };
  }
  if (o.data === undefined) return { error: "data is missing" };
  const envelope = {
    event_type: o.event_type,
    event_id: randomUUID(),
    timestamp: new Date().toISOString(),
    entity_id: o.entity_id,
    data: o.data,
  };
  return { topic, message: { key: o.entity_id, value: JSON.stringify(envelope) } };
}

/** Publishes a JSONL file or stdin: idempotent producer, acks from all in-sync replicas, batched. */
export async function emit(
  kafka: Kafka,
  input: string,
  options: { partitions: number; batchSize: number; maxRecordBytes: number; topicPrefix?: string },
): Promise<EmitResult> {
  const started = performance.now();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // murmur2 like the Java client: the same key lands on the same partition whoever produces it.
    createPartitioner: Partitioners.DefaultPartitioner,
    // An idempotent producer must not give up on a send it may have half-done.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  await producer.connect();
  const known = new Set<string>();
  let sent = 0;
  let rejected = 0;
  try {
    const lines = {
      batchSize: options.batchSize,
      lingerMs: 20,
      maxRecordBytes: options.maxRecordBytes,
      maxBatchBytes: Math.max(8 << 20, 2 * options.maxRecordBytes),
    };
    for await (const batch of jsonlBatches(input, lines)) {
      const byTopic = new Map<string, Message[]>();
      for (const record of batch) {
        const m = record.oversize
          ? {
              error: `line of ${record.oversize.bytes} bytes is larger than --max-record-bytes (${record.oversize.limit})`,
            }
          : toMessage(record.value as Buffer, options.topicPrefix);
        if ("error" in m) {
          rejected++;
          log.warn(`not emitted: ${m.error}`, { position: record.position });
          continue;
        }
        const list = byTopic.get(m.topic);
        if (list) list.push(m.message);
        else byTopic.set(m.topic, [m.message]);
      }
      const fresh = [...byTopic.keys()].filter((t) => !known.has(t));
      if (fresh.length > 0) {
        await ensureTopics(kafka, fresh, options.partitions);
        for (const t of fresh) known.add(t);
      }
      if (byTopic.size === 0) continue;
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      for (const list of byTopic.values()) sent += list.length;
    }
  } finally {
    await producer.disconnect();
  }
  return { sent, rejected, seconds: (performance.now() - started) / 1000, topics: [...known].sort() };
}
