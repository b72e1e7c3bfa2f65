import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import { backoffDelay } from "../../core/backoff.js";
import { log } from "../../core/log.js";
import { partitionKey, type SourceRecord } from "../../core/source-record.js";
import type { KafkaSettings } from "./config.js";
import { KafkaCommits } from "./kafka-commits.js";

import { assignedLags, caughtUp, lagEvents, type PartitionLag } from "./lag.js";
import { MysqlPositions, type OffsetsReader } from "./mysql-positions.js";
import { Partitions } from "./partitions.js";
import { kafkaRecord } from "./record.js";
import { ensureTopics, watermarks } from "./topics.js";
import { TIMEOUT, within } from "./within.js";

/** Without a broker response for this long, the run reports not-ready (fetches poll every 0.5 s, heartbeats every 3 s). */
const KAFKA_SILENCE_MS = 10_000;
/** Longest wait for each step of a stop; kafkajs never returns from leaving the group while the broker is unreachable. */
const STOP_GRACE_MS = 10_000;
/** What a whole stop() may take, its steps together: a supervisor's SIGKILL usually follows 30 s after SIGTERM. */
const STOP_BUDGET_MS = 18_000;

/**
 * Where the records go (run/group-commit.ts's GroupCommit): `accept` resolves once they are queued,
 * with the promise of their commit; undefined when `wanted` said no after waiting for room.
 */
export interface RecordFeed {
  accept(
    records: readonly SourceRecord[],
    wanted?: () => boolean,
  ): Promise<{ committed: Promise<void> } | undefined>;
}

export interface KafkaSourceOptions {
  /** Topics to consume (with the settings' prefix). */
  readonly topics: readonly string[];
  readonly offsets: OffsetsReader;
  readonly feed: RecordFeed;
  /** Whether the writes to MySQL go through (part of readiness). */
  readonly writing: () => boolean;
  readonly fromBeginning: boolean;
  readonly untilCaughtUp: boolean;
  /** Most records handed to the feed at once (a transaction's worth). */
  readonly batchSize: number;
  /** A record larger than this is handed on as its head and its size (it is dead-lettered). */
  readonly maxRecordBytes: number;
  /**
   * Before the first fetch: told the backlog, the records of the topics not applied yet (from
   * MySQL's offsets, or each partition's earliest offset without).
   */
  readonly beforeConsuming?: (backlog: number) => Promise<void>;
  /** After each lag check once joined: the records of the assigned partitions left to apply, and whether none is. */
  readonly onLag?: (behind: number, caughtUp: boolean) => void;
}

/**
 * The Kafka consumer of `projector run`: the group (assignment, seeks, pause and resume), fetches
 * handed to the feed, commits to Kafka. MySQL holds the truth about progress: offsets are written
 * with the rows, the consumer seeks to them on assignment, and Kafka commits only follow (for lag
 * tools). A fetch's records are queued to the feed and kafkajs fetches again while MySQL writes them;
 * what is committed to Kafka is what MySQL applied, never what is only queued.
 */
export class KafkaSource {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly partitions = new Partitions();
  /**
   * Bumped on every group join and every rewind: work begun for an older assignment (a seek, a
   * fetch still queueing, a retry) sees it and stops.
   */
  private generation = 0;
  /** Commits of queued records not yet done. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Transactions failed in a row: the backoff before reading again grows with it. */
  private failures = 0;
  /** The error last rewound for: the submissions a failure rejects all carry the same one. */
  private rewoundFor: unknown;
  private resumeTimer: NodeJS.Timeout | undefined;
  /** Advisory commits to Kafka of what MySQL applied. */
  private readonly commits: KafkaCommits;
  /** Seeks to MySQL's offsets, and moves of them past what Kafka never delivers. */
  private readonly positions: MysqlPositions;
  private joined = false;
  private crashed = false;
  private stopping = false;
  private wired = false;
  /** When a broker last answered a request of the consumer. */
  private lastResponse = 0;
  private tick: NodeJS.Timeout | undefined;
  private lags: PartitionLag[] = [];
  /** Why kafkajs gave up on the consumer for good (it does not restart it): the run exits non-zero. */
  fatal: string | undefined;
  /** Set when stop() gave up waiting for kafkajs (broker unreachable): the process must exit by itself. */
  abandoned = false;
  /** Resolves when the consumer stops (signal, caught up, or a fatal crash). */
  readonly finished: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly options: KafkaSourceOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(settings.sessionTimeoutMs / 3)),
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
    this.commits = new KafkaCommits(this.consumer, this.partitions, {
      joined: () => this.joined,
      generation: () => this.generation,
    });
    this.positions = new MysqlPositions({
      consumer: this.consumer,
      admin: this.admin,
      partitions: this.partitions,
      offsets: options.offsets,
      generation: () => this.generation,
      stopping: () => this.stopping,
      inFlight: () => this.inFlight,
    });
    this.finished = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  get topics(): readonly string[] {
    return this.options.topics;
  }

  /** Ready: joined the group, not crashed, the brokers answer, and MySQL writes are going through. */
  get ready(): boolean {
    return (
      this.joined &&
      !this.crashed &&
      this.partitions.stuck.size === 0 &&
      Date.now() - this.lastResponse < KAFKA_SILENCE_MS &&
      this.options.writing()
    );
  }

  /** Lag per assigned partition, as of the last check. */
  get lag(): readonly PartitionLag[] {
    return this.lags;
  }

  async start(): Promise<void> {
    if (this.stopping) return;
    await ensureTopics(this.kafka, this.topics, this.settings.partitions);
    if (this.stopping) return;
    await this.admin.connect();
    if (this.options.fromBeginning) {
      // A full reprocess: forget what this group applied; the tables converge to the same rows.
      await this.options.offsets.forget();
    }
    if (this.options.beforeConsuming) await this.options.beforeConsuming(await this.backlog());
    if (this.stopping) return;
    const c = this.consumer;
    if (!this.wired) this.wire();
    if (this.stopping) return this.stopLate();
    await c.connect();
    await c.subscribe({ topics: [...this.topics], fromBeginning: true });
    await c.run({
      eachBatchAutoResolve: false,
      // kafkajs would commit what eachBatch resolved, i.e. what is queued; MySQL's offsets are
      // committed instead (KafkaCommits), so Kafka never leads MySQL.
      autoCommit: false,
      // Every partition of a fetch is handled at once; their records meet in one transaction (group commit).
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    // Stopped meanwhile (a signal during start-up, a crash kafkajs does not restart): stop() may have
    // found nothing running yet.
    if (this.stopping) return this.stopLate();
    this.tick = setInterval(() => {
      void this.checkLag().catch((e) => log.debug("lag check failed", { error: String(e) }));
      void this.commits.commit();
    }, 500);
  }

  /** Follows the consumer's life: assignments (offsets are re-read from MySQL), crashes, disconnects. */
  private wire(): void {
    this.wired = true;
    const c = this.consumer;
    c.on(c.events.GROUP_JOIN, (e) => {
      const generation = ++this.generation;
      this.partitions.assign(
        Object.entries(e.payload.memberAssignment).flatMap(([topic, ps]) =>
          ps.map((partition) => ({ topic, partition })),
        ),
      );
      this.joined = true;
      this.crashed = false;
      log.info("joined consumer group", {
        group: this.settings.groupId,
        partitions: this.partitions.assigned.length,
      });
      void this.positions.seekToMysql(generation);
    });
    c.on(c.events.END_BATCH_PROCESS, (e) => {
      const b = e.payload;
      // A fetch with nothing for us (transaction markers, aborted records): kafkajs handles it
      // without eachBatch; MySQL's offset must still move past it, or the lag never reaches 0.
      if (b.batchSize !== 0 || b.firstOffset === null || b.firstOffset === undefined) return;
      // Whether records are left behind it (eachBatch tells this for fetches with records).
      this.partitions.fetched(partitionKey(b.topic, b.partition), String(b.offsetLag) !== "0");
      this.positions.skipUnseen(b.topic, b.partition, BigInt(b.firstOffset), BigInt(b.lastOffset) + 1n);
    });
    c.on(c.events.CRASH, (e) => {
      this.crashed = true;
      const cause = e.payload.error as (Error & { type?: string }) | undefined;
      let error = String(cause?.message ?? cause);
      // The group id is taken by another application whose consumers use other assignors.
      if (cause?.type === "INCONSISTENT_GROUP_PROTOCOL")
        error += ` (consumer group ${this.settings.groupId} belongs to another application: give projector its own with KAFKA_GROUP_ID or --group)`;
      if (e.payload.restart || this.stopping) {
        log.warn("consumer crashed; restarting", { error });
        return;
      }
      // kafkajs does not restart the consumer after this (a non-retriable error): end the run, non-zero.
      this.fatal = error;
      log.error("consumer crashed and kafkajs does not restart it; stopping", { error });
      void this.stop().catch(() => undefined);
    });
    c.on(c.events.DISCONNECT, () => {
      this.joined = false;
    });
    c.on(c.events.REQUEST, () => {
      this.lastResponse = Date.now();
    });
  }

  /**
   * A transaction failed whole (not because of an event: those are dead-lettered), and what was
   * queued behind it was dropped: forget what was queued, wait (longer each time in a row), and read
   * again from MySQL's offsets. Nothing is skipped; the run reports not-ready meanwhile.
   */
  private rewind(error: unknown): void {
    const generation = ++this.generation;
    this.partitions.forgetQueued();
    const delay = backoffDelay(this.failures++, 500, 30_000);
    log.error("a transaction failed; reading again from MySQL's offsets", {
      error: String((error as Error)?.message ?? error),
      retry_in_ms: delay,
    });
    this.pauseAll(true);
    clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      if (this.stopping) return;
      // Resumed once every partition is seeked (or a rejoin took over, which seeks itself).
      void this.positions.seekToMysql(generation).finally(() => {
        if (!this.stopping) this.pauseAll(false);
      });
    }, delay);
  }

  /** Pauses (or resumes) fetching every topic; a consumer not running has nothing to pause (a restart seeks anyway). */
  private pauseAll(pause: boolean): void {
    const topics = this.topics.map((topic) => ({ topic }));
    try {
      if (pause) this.consumer.pause(topics);
      else this.consumer.resume(topics);
    } catch {
      // not running
    }
  }

  /** What a stop() during start() could not stop: the consumer and admin connected after it. */
  private async stopLate(): Promise<void> {
    await this.leave();
    await this.closeAdmin();
  }

  /** Leaves the group; gives up after `ms` (kafkajs waits forever for an unreachable broker). */
  private async leave(ms = STOP_GRACE_MS): Promise<void> {
    const left = await within(
      this.consumer.disconnect().catch((e: unknown) => {
        log.warn("leaving the consumer group failed", { error: String(e) });
      }),
      ms,
    );
    if (left === TIMEOUT) {
      this.abandoned = true;
      log.warn("Kafka did not confirm leaving the group; stopping anyway", { waited_ms: ms });
    }
  }

  /** Disconnects the admin client, giving up after `ms` (it too can wait on a broker that is away). */
  private async closeAdmin(ms = STOP_GRACE_MS): Promise<void> {
    if (
      (await within(
        this.admin.disconnect().catch(() => undefined),
        ms,
      )) === TIMEOUT
    )
      this.abandoned = true;
  }

  /** Stops consuming after the batch in flight (it is committed or rolled back whole). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.tick);
    clearTimeout(this.resumeTimer);
    const settled = async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    };
    // One deadline for every step: each gets what the ones before it left, and at least a moment.
    const deadline = Date.now() + STOP_BUDGET_MS;
    const left = (most: number) => Math.max(500, Math.min(most, deadline - Date.now()));
    try {
      this.pauseAll(true); // no refetching meanwhile
      // Records already queued are committed (or rolled back) whole, and what MySQL applied is
      // committed to Kafka while this member still owns its partitions.
      const committed = async () => {
        await settled();
        await this.commits.underWay; // a tick's commit may have read the offsets before the last records
        await this.commits.commit();
      };
      // Given up on: the transaction in flight is rolled back when the process ends, nothing is lost.
      if ((await within(committed(), left(STOP_GRACE_MS))) === TIMEOUT) this.abandoned = true;
      // A batch in flight is committed or rolled back whole by MySQL, so giving up on the wait is safe.
      await this.leave(left(STOP_GRACE_MS));
      // An eachBatch that was still queueing when the stop began.
      if ((await within(settled(), left(STOP_GRACE_MS))) === TIMEOUT) this.abandoned = true;
    } finally {
      await this.closeAdmin(left(STOP_GRACE_MS));
      this.finish();
    }
  }

  private async eachBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    if (this.stopping) return; // kafkajs may restart a crashed consumer after stop()
    const generation = this.generation;
    const current = () => generation === this.generation;
    const p = this.partitions;
    const { topic, partition } = batch;
    const key = partitionKey(topic, partition);
    let next = p.queued.get(key);
    if (next === undefined) {
      const stored = await this.options.offsets.stored(topic, partition);
      if (!current()) return; // rewound or reassigned meanwhile: a seek is on its way
      next = p.queued.get(key) ?? stored; // seekToMysql may have answered meanwhile
      p.queued.set(key, next);
      p.raiseApplied(key, next);
    }
    // Kafka's committed offset is past what MySQL applied (another database, a lag tool's reset), or
    // MySQL has nothing for the partition and it starts at its earliest offset: go back there, once.
    if (batch.messages.length > 0 && !p.checked.has(key)) {
      const target = next ?? (await this.positions.lowOf(topic, partition));
      if (!current()) return;
      p.checked.add(key);
      if (target !== undefined && BigInt(batch.firstOffset()!) > target) {
        log.info("seeking to where MySQL is", { topic, partition, offset: target.toString() });
        this.consumer.seek({ topic, partition, offset: target.toString() });
        return;
      }
    }
    let records: SourceRecord[] = [];
    let lastQueued: Promise<void> | undefined;
    const flush = async (): Promise<boolean> => {
      if (records.length === 0) return true;
      const chunk = records;
      records = [];
      const last = chunk[chunk.length - 1]!.kafka!;
      const after = last.next !== undefined ? BigInt(last.next) : BigInt(last.offset) + 1n;
      // Queued, not yet committed: kafkajs fetches the next records while MySQL writes these. What
      // was applied is known from MySQL (offsets are written with the rows), not from Kafka.
      const queued = await this.options.feed.accept(chunk, () => current() && !this.stopping);
      if (!queued) return false; // what was queued is being thrown away: so is this
      const { committed } = queued;
      const first = BigInt(chunk[0]!.kafka!.offset);
      lastQueued = committed;
      this.inFlight.add(committed);
      committed.then(
        () => {
          this.inFlight.delete(committed);
          p.raiseApplied(key, after);
          if (last.timestamp !== undefined) p.lastTimestamp.set(key, Number(last.timestamp));
          const stuck = p.stuck.get(key);
          if (stuck !== undefined && stuck < after) {
            p.stuck.delete(key);
            if (p.stuck.size === 0) {
              log.info("transactions commit again");
              this.failures = 0;
            }
          }
        },
        (e: unknown) => {
          this.inFlight.delete(committed);
          if (this.stopping) return;
          // Not-ready until these records are committed after all.
          const stuck = p.stuck.get(key);
          if (stuck === undefined || first < stuck) p.stuck.set(key, first);
          // The failed transaction and everything queued behind it are rejected with the same
          // error, whatever assignment queued them: rewind once for it.
          if (e !== this.rewoundFor) {
            this.rewoundFor = e;
            this.rewind(e);
          }
        },
      );
      // Still the assignment that read it (a rejoin clears the positions; it must not get this one back).
      if (current()) {
        resolveOffset((after - 1n).toString());
        p.queued.set(key, after);
      }
      await heartbeat();
      return true;
    };
    let whole = true;
    let pushed = false;
    for (const m of batch.messages) {
      if (!isRunning() || isStale() || this.stopping || !current()) {
        whole = false;
        break;
      }
      if (next !== null && BigInt(m.offset) < next) {
        resolveOffset(m.offset); // applied before (redelivery): skip
        continue;
      }
      // Flushed when the next record comes, so that the batch's last record is in the last chunk.
      if (records.length >= this.options.batchSize && !(await flush())) return;
      pushed = true;
      records.push(this.record(topic, partition, m));
    }
    // Transaction markers (and aborted records) after the last record are never delivered: the
    // offsets saved with it cover them, or the partition would never look caught up.
    const end = BigInt(batch.lastOffset()) + 1n;
    const tail = records[records.length - 1];
    if (whole && tail?.kafka && end > BigInt(tail.kafka.offset) + 1n) {
      records[records.length - 1] = { ...tail, kafka: { ...tail.kafka, next: end.toString() } };
    }
    const lastMessage = batch.messages[batch.messages.length - 1];
    if (whole && !pushed && lastMessage && end > BigInt(lastMessage.offset) + 1n) {
      // Only records applied before, then markers: nothing to carry the end, so move MySQL past them.
      this.positions.skipUnseen(topic, partition, BigInt(lastMessage.offset) + 1n, end);
    }
    await flush();
    const atHead = batch.offsetLag() === "0";
    if (current()) p.fetched(key, !atHead);
    // At the head of the partition there is nothing to fetch ahead: wait for the commit, so that a
    // consumer keeping up does not poll the broker beside MySQL's writes (it costs their latency).
    // Not while another partition has records left: kafkajs fetches again only once every
    // partition of this fetch is handled, and the writer would run dry meanwhile.
    if (lastQueued && atHead && !p.behindElsewhere(key)) await lastQueued.catch(() => undefined);
  }

  private record(topic: string, partition: number, m: KafkaMessage): SourceRecord {
    return kafkaRecord(topic, partition, m, this.options.maxRecordBytes);
  }

  /** Records of every partition of the topics not applied yet: MySQL's offsets against the high watermarks. */
  private async backlog(): Promise<number> {
    const stored = await this.options.offsets.all();
    let n = 0;
    for (const topic of this.topics)
      for (const w of await watermarks(this.admin, topic))
        n += lagEvents({ ...w, topic, next: stored.get(partitionKey(topic, w.partition)) ?? null });
    return n;
  }

  /** Lag per assigned partition from the broker's watermarks and MySQL's offsets; ends an --until-caught-up run. */
  private async checkLag(): Promise<void> {
    if (!this.joined || this.stopping) return;
    const lags = await assignedLags(this.admin, this.partitions, this.options.offsets);
    this.lags = lags;
    this.options.onLag?.(
      lags.reduce((n, l) => n + lagEvents(l), 0),
      caughtUp(lags),
    );
    if (this.options.untilCaughtUp && this.joined && caughtUp(lags)) {
      log.info("caught up", { partitions: lags.length });
      await this.stop();
    }
  }
}
