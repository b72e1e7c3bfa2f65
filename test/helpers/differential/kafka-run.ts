import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { type CompiledSpec, topicOf } from "../../../src/compile/compile.js";
import type { TestDb } from "../db.js";
import { projector } from "../kafka/processes.js";
import type { TestScope } from "../kafka/scope.js";
import { type Outcome, outcomeOf } from "./harness.js";
import type { Line } from "./small-specs.js";

/** How a stream goes through Kafka: partitions per topic, and events per MySQL transaction. */
export interface KafkaConfig {
  readonly partitions: number;
  readonly batchSize: number;
}

/**
 * Publishes a stream to fresh topics (each line to the topic of its event type, in order: a
 * component's lines to one partition, else by key as `emit` does) and runs `projector run
 * --until-caught-up` on them: the tables and letters it leaves. A line that is not JSON goes to
 * the first topic.
 */
export async function kafkaOutcome(
  scope: TestScope,
  compiled: CompiledSpec,
  specs: { dir?: string; yaml?: string },
  lines: readonly Line[],
  config: KafkaConfig,
): Promise<{ outcome: Outcome; db: TestDb }> {
  const { db, ctx, env } = await scope.kafka(config.partitions);
  const dir = specs.dir ?? mkdtempSync(join(tmpdir(), "pj-diff-"));
  if (specs.yaml !== undefined) writeFileSync(join(dir, "spec.yaml"), specs.yaml);
  const kafka = new Kafka({ clientId: "projector-diff", brokers: [ctx.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: compiled.topics.map((t) => ({ topic: ctx.prefix + t, numPartitions: config.partitions })),
    });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    // One send per run of lines to the same topic: order kept within each partition.
    let run: { topic: string; messages: { key: string; value: string; partition?: number }[] } | undefined;
    const flush = async () => {
      if (run) await producer.send({ topic: run.topic, acks: -1, messages: run.messages });
      run = undefined;
    };
    for (const l of lines) {
      const topic = ctx.prefix + topicFor(compiled, l.text);
      if (run && run.topic !== topic) await flush();
      run ??= { topic, messages: [] };
      run.messages.push(
        l.component === undefined
          ? { key: l.key, value: l.text }
          : { key: l.key, value: l.text, partition: l.component % config.partitions },
      );
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  const r = await projector(
    ["run", "--until-caught-up", "--batch-size", String(config.batchSize), "--projections", dir],
    env,
  );
  if (r.status !== 0) throw new Error(`projector run exited ${r.status}: ${r.stderr}`);
  return { outcome: await outcomeOf(db, compiled), db };
}

function topicFor(compiled: CompiledSpec, text: string): string {
  try {
    const type = (JSON.parse(text) as { event_type?: unknown }).event_type;
    if (typeof type === "string" && compiled.topics.includes(topicOf(type))) return topicOf(type);
  } catch {
    // not JSON: the first topic
  }
  return compiled.topics[0]!;
}
