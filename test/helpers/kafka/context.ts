// One test's own slice of the Kafka cluster (topic prefix, consumer group), and its cleanup.
import { randomBytes } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import type { TestDb } from "../db.js";
import { withTimeout } from "../wait.js";

/** The broker of scripts/kafka.mjs, which the global setup starts (KAFKA_PORT and KAFKA_HOME_DIR as for it). */
export const MAIN_BROKER = `127.0.0.1:${process.env.KAFKA_PORT || 9092}`;

/** One test's own slice of the cluster: topic prefix, consumer group, brokers. */
export interface KafkaCtx {
  readonly prefix: string;
  readonly group: string;
  readonly brokers: string;
  /** Environment for emit/run/status against `db` (partitions of the topics created on the way). */
  env(db: TestDb, partitions?: number): Record<string, string>;
}

const contexts: KafkaCtx[] = [];

export function kafkaCtx(brokers = MAIN_BROKER): KafkaCtx {
  const id = randomBytes(4).toString("hex");
  const prefix = `t${id}.`;
  const group = `g${id}`;
  const ctx: KafkaCtx = {
    prefix,
    group,
    brokers,
    env: (db, partitions = 6) => ({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: group,
      KAFKA_CLIENT_ID: `projector-test-${id}`,
      PROJECTOR_PARTITIONS: String(partitions),
      MYSQL_URL: db.url,
    }),
  };
  contexts.push(ctx);
  return ctx;
}

/**
 * Deletes the topics and consumer groups of every context this test file created (the dev broker
 * keeps everything forever otherwise). Best effort: never fails a test.
 */
export async function cleanupKafka(): Promise<void> {
  const byBroker = new Map<string, KafkaCtx[]>();
  for (const c of contexts.splice(0)) byBroker.set(c.brokers, [...(byBroker.get(c.brokers) ?? []), c]);
  for (const [brokers, ctxs] of byBroker) {
    const kafka = new Kafka({
      clientId: "projector-test-cleanup",
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    });
    const admin = kafka.admin();
    const work = (async () => {
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => ctxs.some((c) => t.startsWith(c.prefix)));
      if (topics.length) await admin.deleteTopics({ topics, timeout: 10_000 });
      await admin.deleteGroups(ctxs.map((c) => c.group)).catch(() => undefined);
    })();
    await withTimeout(work, 30_000, "cleanup").catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
