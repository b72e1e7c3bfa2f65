import type { Admin, Consumer, EachBatchPayload, Kafka } from "kafkajs";
import type { Plan } from "../compile/plan.js";
import { ensureTopics } from "../emit/emitter.js";
import { log } from "../log.js";
import type { Executor, SourceRecord } from "../run/executor.js";
import { GroupCommit } from "../run/group-commit.js";
import { OFFSETS } from "../sink/engine-tables.js";
import { type MysqlSink, partitionKey } from "../sink/mysql-sink.js";
import type { KafkaSettings } from "./kafka-config.js";

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to apply (from MySQL), or null when nothing was applied yet. */
  readonly next: bigint | null;
  readonly high: bigint;
  readonly low: bigint;
  /** Broker timestamp (ms) of the last applied message. */
  readonly lastTimestamp: number | undefined;
}

/** Without a broker response for this long, the run reports not-ready (fetches poll every 0.5 s, heartbeats every 3 s). */
const KAFKA_SILENCE_MS = 10_000;
/** Longest wait for the consumer to leave the group on stop; kafkajs never returns while the broker is unreachable. */
const STOP_GRACE_MS = 10_000;

export interface KafkaRunOptions {
  readonly fromBeginning: boolean;
  readonly untilCaughtUp: boolean;
  /** Most events per MySQL transaction. */
  readonly batchSize: number;
}

/**
 * The Kafka side of `projector run`: consumer group, topics from the specs, eachBatch through the
 * shared executor. MySQL holds the truth about progress: offsets are written with the rows, the
 * consumer seeks to them on assignment, and Kafka commits only follow (for lag tools). A fetch's
 * records are handed to the group commit and kafkajs fetches again while MySQL writes them; what is
 * committed to Kafka is what MySQL applied, never what is only queued.
 */
export class KafkaProjector {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly commits: GroupCommit;
  /** Next offset per partition as known from MySQL (cleared on every rebalance). */
  private readonly next = new Map<string, bigint | null>();
  /** Next offset per partition to hand to the group commit: ahead of `next` by what is queued. */
  private readonly position = new Map<string, bigint | null>();
  /** Commits of queued records not yet done. */
  private readonly inFlight = new Set<Promise<void>>();
  /** A queued batch that could not be committed: thrown by the next eachBatch (kafkajs restarts). */
  private failure: unknown;
  /** Offsets last committed to Kafka per partition (MySQL's, a little later). */
  private readonly kafkaCommitted = new Map<string, bigint>();
  /** The commit to Kafka under way, if any (one at a time). */
  private committing: Promise<void> | undefined;
  /** Counts group joins, so that a seek planned for an old assignment is dropped. */
  private generation = 0;
  private readonly lastTimestamp = new Map<string, number>();
  private readonly seekedBack = new Set<string>();
  private assigned: { topic: string; partition: number }[] = [];
  private joined = false;
  private crashed = false;
  private stopping = false;
  /** Set when stop() gave up waiting for kafkajs (broker unreachable): the process must exit by itself. */
  abandoned = false;
  /** When a broker last answered a request of the consumer. */
  private lastResponse = 0;
  private wired = false;
  private caughtUpTimer: NodeJS.Timeout | undefined;
  private lags: PartitionLag[] = [];
  /** Resolves when the consumer stops (signal, or caught up). */
  readonly finished: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly plan: Plan,
    private readonly sink: MysqlSink,
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly executor: Executor,
    private readonly options: KafkaRunOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      // A fetch is handled whole (all its partitions concurrently, see run()): its size bounds memory.
      maxBytesPerPartition: 1 << 20,
      maxBytes: 4 << 20,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      retry: {
        initialRetryTime: 300,
        maxRetryTime: 10_000,
        retries: 10,
        restartOnFailure: async () => !this.stopping,
      },
    });
    this.admin = kafka.admin();
    this.commits = new GroupCommit(executor, options.batchSize);
    this.finished = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  /** The topics of the specs' event types, with the configured prefix. */
  get topics(): string[] {
    return this.plan.topics.map((t) => this.settings.topicPrefix + t);
  }

  /** Ready: joined the group, not crashed, the brokers answer, and MySQL writes are going through. */
  get ready(): boolean {
    return (
      this.joined &&
      !this.crashed &&
      this.failure === undefined &&
      Date.now() - this.lastResponse < KAFKA_SILENCE_MS &&
      this.executor.ready
    );
  }

  /** Lag per assigned partition, as of the last check. */
  get lag(): readonly PartitionLag[] {
    return this.lags;
  }

  async start(): Promise<void> {
    await ensureTopics(this.kafka, this.topics, this.settings.partitions);
    await this.admin.connect();
    if (this.options.fromBeginning) {
      // A full reprocess: forget what this group applied; the tables converge to the same rows.
      await this.sink.query(`DELETE FROM \`${OFFSETS}\` WHERE consumer_group = ?`, [this.settings.groupId]);
    }
    const c = this.consumer;
    if (!this.wired) this.wire();
    await c.connect();
    await c.subscribe({ topics: this.topics, fromBeginning: true });
    await c.run({
      eachBatchAutoResolve: false,
      // kafkajs would commit what eachBatch resolved, i.e. what is queued; MySQL's offsets are
      // committed instead (commitApplied), so Kafka never leads MySQL.
      autoCommit: false,
      // Every partition of a fetch is handled at once; their records meet in one transaction (group commit).
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.caughtUpTimer = setInterval(() => {
      void this.checkLag().catch((e) => log.debug("lag check failed", { error: String(e) }));
      void this.commitApplied();
    }, 500);
  }

  /** Follows the consumer's life: assignments (offsets are re-read from MySQL), crashes, disconnects. */
  private wire(): void {
    this.wired = true;
    const c = this.consumer;
    c.on(c.events.GROUP_JOIN, (e) => {
      this.next.clear();
      this.position.clear();
      this.seekedBack.clear();
      this.kafkaCommitted.clear();
      this.assigned = Object.entries(e.payload.memberAssignment).flatMap(([topic, ps]) =>
        ps.map((partition) => ({ topic, partition })),
      );
      this.joined = true;
      this.crashed = false;
      log.info("joined consumer group", { group: this.settings.groupId, partitions: this.assigned.length });
      const generation = ++this.generation;
      void this.seekToStored(generation).catch((err) =>
        log.debug("reading MySQL's offsets on assignment failed", { error: String(err) }),
      );
    });
    c.on(c.events.CRASH, (e) => {
      this.crashed = true;
      log.warn("consumer crashed; restarting", {
        error: String(e.payload.error?.message ?? e.payload.error),
        restart: e.payload.restart,
      });
    });
    c.on(c.events.DISCONNECT, () => {
      this.joined = false;
    });
    c.on(c.events.REQUEST, () => {
      this.lastResponse = Date.now();
    });
  }

  /**
   * Seeks every assigned partition MySQL has an offset for to that offset, before its first batch:
   * Kafka's committed offset may be elsewhere (reset by a lag tool, or written by an older version
   * ahead of MySQL), and a partition with nothing past it would never deliver a batch to seek from.
   */
  private async seekToStored(generation: number): Promise<void> {
    const rows = await this.sink.query<{ topic: string; partition_id: number; next_offset: string }[]>(
      `SELECT topic, partition_id, next_offset FROM \`${OFFSETS}\` WHERE consumer_group = ?`,
      [this.settings.groupId],
    );
    if (generation !== this.generation || this.stopping) return; // assignment changed meanwhile
    const stored = new Map(rows.map((r) => [partitionKey(r.topic, r.partition_id), BigInt(r.next_offset)]));
    for (const { topic, partition } of this.assigned) {
      const key = partitionKey(topic, partition);
      const offset = stored.get(key);
      // A partition whose first batch came first was checked by it (eachBatch seeks back too).
      if (offset === undefined || this.position.has(key)) continue;
      this.position.set(key, offset);
      this.next.set(key, offset);
      this.consumer.seek({ topic, partition, offset: offset.toString() });
    }
  }

  /** Commits to Kafka, for lag tools, the offsets MySQL has applied since the last commit. */
  private commitApplied(): Promise<void> {
    this.committing ??= this.commitAppliedNow().finally(() => {
      this.committing = undefined;
    });
    return this.committing;
  }

  private async commitAppliedNow(): Promise<void> {
    if (!this.joined) return;
    const generation = this.generation;
    const offsets = [...this.assigned].flatMap(({ topic, partition }) => {
      const key = partitionKey(topic, partition);
      const next = this.next.get(key);
      if (next === undefined || next === null || (this.kafkaCommitted.get(key) ?? -1n) >= next) return [];
      return [{ topic, partition, offset: next.toString(), key, next }];
    });
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(
        offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
      );
      if (generation === this.generation) for (const o of offsets) this.kafkaCommitted.set(o.key, o.next);
    } catch (e) {
      // Advisory only (a rebalance, a broker away): the next tick tries again.
      log.debug("committing offsets to Kafka failed", { error: String(e) });
    }
  }

  /** Stops consuming after the batch in flight (it is committed or rolled back whole). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.caughtUpTimer);
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), STOP_GRACE_MS);
    });
    const settled = async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    };
    try {
      // Records already queued are committed (or rolled back) whole, and what MySQL applied is
      // committed to Kafka while this member still owns its partitions.
      const committed = async () => {
        await settled();
        await this.committing; // a tick's commit may have read the offsets before the last records
        await this.commitApplied();
      };
      await Promise.race([committed(), gaveUp]);
      // A batch in flight is committed or rolled back whole by MySQL, so giving up on the wait is safe.
      if ((await Promise.race([this.consumer.disconnect(), gaveUp])) === "timeout") {
        this.abandoned = true;
        log.warn("Kafka did not confirm leaving the group; stopping anyway", { waited_ms: STOP_GRACE_MS });
      }
      // An eachBatch that was still queueing when the stop began.
      if (this.inFlight.size > 0) await Promise.race([settled(), gaveUp]);
    } finally {
      clearTimeout(timer);
      await this.admin.disconnect().catch(() => undefined);
      this.finish();
    }
  }

  private throwFailure(): void {
    if (this.failure === undefined) return;
    const e = this.failure;
    this.failure = undefined;
    throw e;
  }

  private async storedNext(topic: string, partition: number): Promise<bigint | null> {
    const rows = await this.sink.query<{ next_offset: string }[]>(
      `SELECT next_offset FROM \`${OFFSETS}\` WHERE consumer_group = ? AND topic = ? AND partition_id = ?`,
      [this.settings.groupId, topic, partition],
    );
    return rows[0] ? BigInt(rows[0].next_offset) : null;
  }

  private async eachBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (this.stopping) return; // kafkajs may restart a crashed consumer after stop()
    const { topic, partition } = batch;
    const key = partitionKey(topic, partition);
    let next = this.position.get(key);
    if (next === undefined) {
      const stored = await this.storedNext(topic, partition);
      next = this.position.get(key) ?? stored; // seekToStored may have answered meanwhile
      this.position.set(key, next);
      if (!this.next.has(key)) this.next.set(key, next);
    }
    // Kafka's committed offset is ahead of MySQL's (e.g. a new database): go back once to what MySQL has.
    if (
      next !== null &&
      batch.messages.length > 0 &&
      BigInt(batch.firstOffset()!) > next &&
      !this.seekedBack.has(key)
    ) {
      this.seekedBack.add(key);
      log.info("seeking to the offset stored in MySQL", { topic, partition, offset: next.toString() });
      this.consumer.seek({ topic, partition, offset: next.toString() });
      return;
    }
    if (next === null && this.options.fromBeginning && !this.seekedBack.has(key)) {
      this.seekedBack.add(key);
      const low = (await this.admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition)?.low;
      if (low !== undefined && batch.messages.length > 0 && BigInt(batch.firstOffset()!) > BigInt(low)) {
        this.consumer.seek({ topic, partition, offset: low });
        return;
      }
    }
    this.throwFailure();
    let records: SourceRecord[] = [];
    let lastQueued: Promise<void> | undefined;
    const flush = async () => {
      if (records.length === 0) return;
      const chunk = records;
      records = [];
      const last = chunk[chunk.length - 1]!.kafka!;
      // Queued, not yet committed: kafkajs fetches the next records while MySQL writes these. What
      // was applied is known from MySQL (offsets are written with the rows), not from Kafka.
      const { committed } = await this.commits.accept(chunk);
      lastQueued = committed;
      this.inFlight.add(committed);
      committed.then(
        () => {
          this.inFlight.delete(committed);
          const applied = BigInt(last.offset) + 1n;
          if ((this.next.get(key) ?? -1n) < applied) this.next.set(key, applied);
          if (last.timestamp !== undefined) this.lastTimestamp.set(key, Number(last.timestamp));
        },
        (e: unknown) => {
          this.inFlight.delete(committed);
          this.failure ??= e;
        },
      );
      resolveOffset(last.offset);
      this.position.set(key, BigInt(last.offset) + 1n);
      await heartbeat();
    };
    for (const m of batch.messages) {
      if (!isRunning() || isStale() || this.stopping) break;
      if (next !== null && BigInt(m.offset) < next) {
        resolveOffset(m.offset); // applied before (redelivery): skip
        continue;
      }
      records.push({
        value: m.value ?? Buffer.alloc(0),
        position: `partition ${partition} offset ${m.offset}`,
        source: topic,
        kafka: { topic, partition, offset: m.offset, timestamp: m.timestamp },
      });
      if (records.length >= this.options.batchSize) await flush();
    }
    await flush();
    // At the head of the partition there is nothing to fetch ahead: wait for the commit, so that a
    // consumer keeping up does not poll the broker beside MySQL's writes (it costs their latency).
    if (lastQueued && batch.offsetLag() === "0") await lastQueued.catch(() => undefined);
  }

  /** Lag per assigned partition from the broker's watermarks and MySQL's offsets; ends an --until-caught-up run. */
  private async checkLag(): Promise<void> {
    if (!this.joined || this.stopping) return;
    const topics = [...new Set(this.assigned.map((a) => a.topic))];
    const lags: PartitionLag[] = [];
    for (const topic of topics) {
      const offsets = await this.admin.fetchTopicOffsets(topic);
      for (const o of offsets) {
        if (!this.assigned.some((a) => a.topic === topic && a.partition === o.partition)) continue;
        const key = partitionKey(topic, o.partition);
        let next = this.next.get(key);
        if (next === undefined) next = await this.storedNext(topic, o.partition);
        lags.push({
          topic,
          partition: o.partition,
          next,
          high: BigInt(o.high),
          low: BigInt(o.low),
          lastTimestamp: this.lastTimestamp.get(key),
        });
      }
    }
    this.lags = lags;
    if (
      this.options.untilCaughtUp &&
      this.joined &&
      lags.every((l) => l.high <= l.low || (l.next !== null && l.next >= l.high))
    ) {
      log.info("caught up", { partitions: lags.length });
      await this.stop();
    }
  }
}
