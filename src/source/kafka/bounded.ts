import { setTimeout as sleep } from "node:timers/promises";
import type { Consumer, EachBatchPayload, Kafka } from "kafkajs";
import { log } from "../../core/log.js";
import { partitionKey, type SourceRecord } from "../../core/source-record.js";
import { kafkaRecord } from "./record.js";
import { watermarks } from "./topics.js";

/** How long the consumer may do nothing while partitions are short of their targets. */
const IDLE_MS = 5_000;

/** A partition the reader reads, and where it stands. */
interface Position {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  next: bigint;
  /** Read up to here (exclusive) in the current round. */
  target: bigint;
  paused: boolean;
}

export interface BoundedReaderOptions {
  readonly topics: readonly string[];
  /** The Kafka consumer group (its own, never committed to: the positions come from the caller). */
  readonly groupId: string;
  /** Where each partition starts (by partitionKey); the low watermark where absent. */
  readonly start: ReadonlyMap<string, bigint>;
  readonly batchSize: number;
  readonly maxRecordBytes: number;
}

/**
 * Reads every partition of some topics from where the caller says up to offsets the caller moves
 * (`readTo`), never past them: a rebuild's shadow follows the live tables without overtaking them.
 * Records go to `apply` in order per partition, at most `batchSize` at a time; a round ends when
 * every partition reached its target (offsets only transaction markers hold count as reached).
 */
export class BoundedReader {
  private readonly consumer: Consumer;
  private readonly positions = new Map<string, Position>();
  private apply: ((records: SourceRecord[]) => Promise<void>) | undefined;
  private joined!: Promise<void>;
  private failure: unknown;
  private stopping = false;
  /** When the consumer last did anything (a batch begun, records applied, a batch done). */
  private active = Date.now();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: BoundedReaderOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 1 << 20,
      maxBytes: 4 << 20,
      maxWaitTimeInMs: 250,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 },
    });
  }

  /** Where each partition stands now (next offset to read). */
  get next(): ReadonlyMap<string, bigint> {
    return new Map([...this.positions].map(([k, p]) => [k, p.next]));
  }

  /** Every partition read, and where it stands (known once started). */
  positionList(): { topic: string; partition: number; next: bigint }[] {
    return [...this.positions.values()].map((p) => ({
      topic: p.topic,
      partition: p.partition,
      next: p.next,
    }));
  }

  /** Every partition of the topics, with its start (the caller's, else the low watermark). */
  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const topic of this.options.topics)
        for (const w of await watermarks(admin, topic)) {
          const key = partitionKey(topic, w.partition);
          const next = this.options.start.get(key) ?? w.low;
          this.positions.set(key, { topic, partition: w.partition, next, target: next, paused: false });
        }
    } finally {
      await admin.disconnect();
    }
    const c = this.consumer;
    this.joined = new Promise((resolve) => {
      c.on(c.events.GROUP_JOIN, (e) => {
        // The only member of its group: every partition, each sought to where it stands.
        for (const [topic, ps] of Object.entries(e.payload.memberAssignment))
          for (const partition of ps) {
            const p = this.positions.get(partitionKey(topic, partition));
            if (p) c.seek({ topic, partition, offset: p.next.toString() });
          }
        resolve();
      });
    });
    c.on(c.events.CRASH, (e) => {
      if (!e.payload.restart) this.failure = e.payload.error;
    });
    await c.connect();
    await c.subscribe({ topics: [...this.options.topics], fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    await this.joined;
  }

  /** Events left to read up to `targets` (by partitionKey; a partition not named stays where it is). */
  behind(targets: ReadonlyMap<string, bigint>): bigint {
    let n = 0n;
    for (const [k, p] of this.positions) {
      const t = targets.get(k);
      if (t !== undefined && t > p.next) n += t - p.next;
    }
    return n;
  }

  /** Reads up to `targets` (never lowering a position), handing the records to `apply`. */
  async readTo(
    targets: ReadonlyMap<string, bigint>,
    apply: (records: SourceRecord[]) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<void> {
    this.apply = apply;
    this.active = Date.now();
    for (const [k, p] of this.positions) {
      const t = targets.get(k);
      p.target = t !== undefined && t > p.next ? t : p.next;
      if (p.next < p.target && p.paused) {
        this.consumer.seek({ topic: p.topic, partition: p.partition, offset: p.next.toString() });
        this.consumer.resume([{ topic: p.topic, partitions: [p.partition] }]);
        p.paused = false;
      }
    }
    let kicked = false;
    for (;;) {
      if (this.failure) throw this.failure;
      if (signal?.aborted) throw new Error("stopped");
      const open = [...this.positions.values()].filter((p) => p.next < p.target);
      if (open.length === 0) return;
      // The consumer idle for a while, the broker answering, and partitions still short of their
      // targets: they are sought to where they stand once more; idle again after that, what is
      // left below the targets is transaction markers or aborted records, never delivered.
      if (Date.now() - this.active > IDLE_MS && (await this.brokerAnswers())) {
        if (!kicked) {
          kicked = true;
          for (const p of open) {
            this.consumer.seek({ topic: p.topic, partition: p.partition, offset: p.next.toString() });
            this.consumer.resume([{ topic: p.topic, partitions: [p.partition] }]);
            p.paused = false;
          }
        } else
          for (const p of open) {
            log.info("only transaction markers left below the target", {
              topic: p.topic,
              partition: p.partition,
            });
            p.next = p.target;
          }
      }
      if (Date.now() - this.active < IDLE_MS) kicked = false; // it moved meanwhile
      await sleep(20);
    }
  }

  private async brokerAnswers(): Promise<boolean> {
    this.active = Date.now(); // asked once per idle spell
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.fetchTopicOffsets(this.options.topics[0]!);
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private pause(p: Position): void {
    if (p.paused) return;
    this.consumer.pause([{ topic: p.topic, partitions: [p.partition] }]);
    p.paused = true;
  }

  private async eachBatch({
    batch,
    heartbeat,
    isRunning,
    isStale,
    resolveOffset,
  }: EachBatchPayload): Promise<void> {
    const p = this.positions.get(partitionKey(batch.topic, batch.partition));
    if (!p || this.stopping) return;
    this.active = Date.now();
    const apply = this.apply;
    if (!apply || p.next >= p.target) {
      // Not wanted now: back to where it stands, until a round wants more.
      this.consumer.seek({ topic: p.topic, partition: p.partition, offset: p.next.toString() });
      this.pause(p);
      return;
    }
    let chunk: SourceRecord[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      const records = chunk;
      chunk = [];
      this.active = Date.now();
      await apply(records);
      const last = records[records.length - 1]!.kafka!;
      p.next = BigInt(last.offset) + 1n;
      // Where kafkajs fetches next (nothing is committed: autoCommit is off, positions are the caller's).
      resolveOffset(last.offset);
      this.active = Date.now();
      await heartbeat();
    };
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) return;
      const offset = BigInt(m.offset);
      if (offset < p.next) {
        resolveOffset(m.offset); // read before (a refetch from an older position): pass it
        continue;
      }
      if (offset >= p.target) break;
      chunk.push(kafkaRecord(p.topic, p.partition, m, this.options.maxRecordBytes));
      if (chunk.length >= this.options.batchSize) await flush();
    }
    await flush();
    // Markers after the last record (or a batch of only markers): the batch's end covers them.
    const end = BigInt(batch.lastOffset()) + 1n;
    if (end > p.next) {
      p.next = end < p.target ? end : p.target;
      if (end <= p.target) resolveOffset(batch.lastOffset());
    }
    this.active = Date.now();
    if (p.next >= p.target) {
      this.consumer.seek({ topic: p.topic, partition: p.partition, offset: p.next.toString() });
      this.pause(p);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect().catch(() => undefined);
    const admin = this.kafka.admin();
    // The group was ours alone: leave nothing behind on the broker.
    await admin
      .connect()
      .then(() => admin.deleteGroups([this.options.groupId]))
      .catch(() => undefined)
      .finally(() => admin.disconnect().catch(() => undefined));
  }
}
