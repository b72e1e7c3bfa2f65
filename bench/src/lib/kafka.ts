import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { type Children, failure } from "./children.js";
import { messageOf } from "./log.js";
import { ROOT } from "./paths.js";

/** The environment of a stage's `projector emit`/`run`: its database, topics and consumer group. */
export interface KafkaStageEnv {
  /** Prefix of the stage's topics: `bench-<run>-<stage>-`. */
  readonly prefix: string;
  readonly group: string;
  readonly env: Readonly<{
    MYSQL_URL: string;
    KAFKA_BROKERS: string;
    KAFKA_TOPIC_PREFIX: string;
    KAFKA_GROUP_ID: string;
  }>;
}

/**
 * The bench's Kafka side: the broker (started if needed, left running), one client, and every topic
 * and consumer group the run creates, deleted by `deleteAll` at the end.
 */
export class KafkaResources {
  readonly #topics = new Set<string>();
  readonly #groups = new Set<string>();
  #client: Kafka | undefined;
  #brokerChecked = false;

  constructor(
    readonly brokers: string,
    readonly runId: string,
    readonly children: Children,
  ) {}

  /** The kafkajs client (created on first use, logging off). */
  client(): Kafka {
    this.#client ??= new Kafka({
      clientId: "projector-bench",
      brokers: this.brokers.split(",").map((b) => b.trim()),
      logLevel: logLevel.NOTHING,
    });
    return this.#client;
  }

  /** Starts the local broker unless one is up (`node scripts/kafka.mjs start`, idempotent); once per run. */
  async ensureBroker(): Promise<void> {
    if (this.#brokerChecked) return;
    const r = await this.children.run([join(ROOT, "scripts", "kafka.mjs"), "start"], { log: "kafka-start" });
    if (r.code !== 0) throw failure("scripts/kafka.mjs start", r);
    this.#brokerChecked = true;
  }

  /** A stage's topic prefix and consumer group (registered for deletion), and the CLI's environment. */
  stageEnv(stage: string, dbUrl: string): KafkaStageEnv {
    const prefix = `bench-${this.runId}-${stage}-`;
    const group = `bench-${this.runId}-${stage}`;
    this.#groups.add(group);
    return {
      prefix,
      group,
      env: {
        MYSQL_URL: dbUrl,
        KAFKA_BROKERS: this.brokers,
        KAFKA_TOPIC_PREFIX: prefix,
        KAFKA_GROUP_ID: group,
      },
    };
  }

  /** Registers a consumer group for deletion at the end (one the bench does not name itself, e.g. Connect's). */
  addGroup(group: string): void {
    this.#groups.add(group);
  }

  /** Registers topics for deletion at the end (before they are created: a failed run still cleans up). */
  addTopics(topics: Iterable<string>): void {
    for (const t of topics) this.#topics.add(t);
  }

  /** Creates topics (registered for deletion) and waits for their leaders. */
  async createTopics(topics: readonly string[], numPartitions: number): Promise<void> {
    this.addTopics(topics);
    const admin = this.client().admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: topics.map((topic) => ({ topic, numPartitions })),
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Deletes the run's topics and groups, unless BENCH_KEEP_TOPICS=1; a failure is reported, not
   * thrown. Does not connect when the run created none.
   */
  async deleteAll(report: (msg: string) => void): Promise<void> {
    if ((this.#topics.size === 0 && this.#groups.size === 0) || process.env.BENCH_KEEP_TOPICS === "1") return;
    const admin = this.client().admin();
    try {
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const topics = [...this.#topics].filter((t) => existing.has(t));
      if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 });
      const groups = [...this.#groups];
      if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
    } catch (e) {
      report(`could not delete the bench topics/groups: ${messageOf(e)}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
