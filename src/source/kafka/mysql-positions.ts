import { setTimeout as sleep } from "node:timers/promises";
import type { Admin, Consumer } from "kafkajs";
import { backoffDelay } from "../../core/backoff.js";
import { log } from "../../core/log.js";
import { partitionKey } from "../../core/source-record.js";
import type { Partitions } from "./partitions.js";
import { watermarks } from "./topics.js";

/** Where MySQL says each partition of the group goes on (run/offsets.ts's OffsetsStore). */
export interface OffsetsReader {
  /** The next offset of one partition, or null when nothing of it was applied. */
  stored(topic: string, partition: number): Promise<bigint | null>;
  /** Every partition's next offset, by partitionKey. */
  all(): Promise<Map<string, bigint>>;
  /** Forgets what the group applied. */
  forget(): Promise<void>;
  /** Moves a partition from `from` to `to` where it stands at `from` or past it. */
  skip(topic: string, partition: number, from: bigint, to: bigint): Promise<void>;
}

/** What the positions need of the consumer they serve. */
export interface PositionsHost {
  readonly consumer: Consumer;
  readonly admin: Admin;
  readonly partitions: Partitions;
  readonly offsets: OffsetsReader;
  /** Bumped on every group join and every rewind: work begun for an older one stops. */
  generation(): number;
  stopping(): boolean;
  /** Commits of queued records not yet done. */
  inFlight(): Iterable<Promise<void>>;
}

/**
 * Where MySQL says each partition is, brought to the consumer: seeks on assignment and moves of
 * MySQL's offset past what Kafka never delivers (transaction markers, aborted records).
 */
export class MysqlPositions {
  /** Per partition, the moves of MySQL's offset past unseen offsets under way (see skipUnseen). */
  private readonly skips = new Map<string, Promise<void>>();

  constructor(private readonly host: PositionsHost) {}

  /**
   * Seeks every assigned partition to where MySQL says it is, before its first batch: the offset
   * stored with the rows, or the partition's earliest offset when MySQL has none. Kafka's committed
   * offset may be elsewhere (a lag tool's reset, another database, `--from-beginning`), and a
   * partition with nothing past it would never deliver a batch to seek from.
   */
  seekToMysql(generation: number): Promise<void> {
    return this.retrying(generation, "reading where MySQL is for the assignment", {}, () =>
      this.seekToMysqlNow(generation),
    );
  }

  /** The partition's earliest offset still in Kafka. */
  async lowOf(topic: string, partition: number): Promise<bigint | undefined> {
    return (await watermarks(this.host.admin, topic)).find((w) => w.partition === partition)?.low;
  }

  /**
   * Moves MySQL's offset of a partition from `from` to `to` when nothing in between is a record
   * for us (kafkajs filtered it all: transaction markers, aborted records), provided MySQL is at
   * `from` or past it, i.e. everything before was applied; a partition without an offset row only
   * when `from` is its earliest offset. Retried while MySQL does not answer.
   */
  skipUnseen(topic: string, partition: number, from: bigint, to: bigint): void {
    const key = partitionKey(topic, partition);
    const host = this.host;
    const generation = host.generation();
    const p = host.partitions;
    const skip = async () => {
      // Records before `from` may still be queued: their commit comes first.
      const queuedTo = p.queued.get(key);
      if (queuedTo !== undefined && queuedTo !== null && queuedTo >= from)
        await Promise.allSettled([...host.inFlight()]);
      await this.retrying(
        generation,
        "moving MySQL's offset past transaction markers",
        { topic, partition },
        async () => {
          let next = p.appliedTo(key) ?? null;
          if (next === null) {
            next = await host.offsets.stored(topic, partition);
            if (generation !== host.generation()) return;
            p.raiseApplied(key, next);
          }
          if (next !== null && next >= to) return;
          if (next === null) {
            const low = await this.lowOf(topic, partition);
            if (low === undefined || from > low) return; // records before `from` may be unapplied
          }
          await host.offsets.skip(topic, partition, from, to);
          const stored = await host.offsets.stored(topic, partition);
          if (generation === host.generation()) p.raiseApplied(key, stored);
        },
      );
    };
    // One after the other per partition: a later one can only hold once an earlier one moved MySQL.
    const done = (this.skips.get(key) ?? Promise.resolve()).then(skip);
    this.skips.set(key, done);
    void done.finally(() => {
      if (this.skips.get(key) === done) this.skips.delete(key);
    });
  }

  /** Runs `attempt` until it succeeds (backing off 0.25 s doubling to 10 s), a rejoin or rewind, or a stop. */
  private async retrying(
    generation: number,
    what: string,
    fields: Record<string, unknown>,
    attempt: () => Promise<void>,
  ): Promise<void> {
    for (let n = 0; generation === this.host.generation() && !this.host.stopping(); n++) {
      try {
        await attempt();
        return;
      } catch (e) {
        const delay = backoffDelay(n, 250, 10_000);
        log.warn(`${what} failed; retrying`, { ...fields, error: String(e), delay_ms: delay });
        await sleep(delay);
      }
    }
  }

  private async seekToMysqlNow(generation: number): Promise<void> {
    const host = this.host;
    const current = () => generation === host.generation() && !host.stopping();
    const stored = await host.offsets.all();
    if (!current()) return; // assignment changed meanwhile
    const p = host.partitions;
    const lows = new Map<string, bigint>();
    const unstored = p.assigned.filter((a) => !stored.has(partitionKey(a.topic, a.partition)));
    for (const topic of new Set(unstored.map((a) => a.topic))) {
      for (const w of await watermarks(host.admin, topic)) lows.set(partitionKey(topic, w.partition), w.low);
    }
    if (!current()) return;
    for (const { topic, partition } of p.assigned) {
      const key = partitionKey(topic, partition);
      // A partition whose first batch came first was checked by it (eachBatch seeks back too).
      if (p.queued.has(key)) continue;
      const offset = stored.get(key) ?? null;
      const target = offset ?? lows.get(key);
      if (target === undefined) continue;
      p.queued.set(key, offset);
      p.raiseApplied(key, offset);
      host.consumer.seek({ topic, partition, offset: target.toString() });
    }
  }
}
