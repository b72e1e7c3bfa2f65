import type { SourceRecord } from "../core/source-record.js";
import type { Executor } from "./executor.js";
import { MAX_BATCH_VALUES, Pieces, type Prepared, valuesOf } from "./prepare.js";

interface Composed {
  readonly take: Pending[];
  readonly prepared: readonly Prepared[];
}

interface Pending {
  readonly prepared: Prepared[];
  /** What it weighs against a transaction's worth (see cost). */
  readonly cost: number;
  readonly values: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit: record lists accepted concurrently (one per Kafka partition) are applied together,
 * in one transaction of at most `maxEvents` events (a single list is never split). Each list's
 * records keep their order; different partitions carry different keys, so their relative order does
 * not matter. Records are decoded and mapped when accepted, which overlaps with the transaction in
 * flight; up to a transaction's worth waits queued, and the next transaction is handed to the
 * executor to plan ahead once it is full (when the transaction in flight begins, or later while it
 * is written, by the accept() that fills it).
 */
export class GroupCommit {
  private readonly queue: Pending[] = [];
  private running = false;
  /** Events prepared and waiting: bounded, so many partitions at once cannot blow up memory. */
  private queued = 0;
  private waiters: (() => void)[] = [];
  /** The next transaction, taken off the queue early to be planned ahead. */
  private composed: Composed | undefined;

  /**
   * Set while a transaction is written without a next one composed: the accept() that completes a
   * transaction's worth composes it then and hands it to the executor to plan ahead.
   */
  private composeLate = false;

  constructor(
    private readonly executor: Pick<Executor, "prepare" | "applyPrepared" | "planAhead">,
    private readonly maxEvents: number,
  ) {}

  /**
   * Resolves once the records are prepared and queued (the caller may go on reading), with the
   * promise of their commit (applied or dead-lettered). When a transaction fails, it and everything
   * queued behind it are rejected (they come after its records). `wanted` is asked after waiting for
   * room: when it says no, nothing is queued and this resolves to undefined.
   */
  async accept(
    records: readonly SourceRecord[],
    wanted: () => boolean = () => true,
  ): Promise<{ committed: Promise<void> } | undefined> {
    // Prepared a piece at a time (prepare.ts): a list of row-heavy events is queued in pieces of at
    // most a transaction's worth of values, each prepared once there is room for it.
    const pieces = new Pieces((r) => this.executor.prepare(r), records);
    const commits: Promise<void>[] = [];
    do {
      // Backpressure: while a transaction's worth is prepared and waiting, prepare nothing more.
      while (this.queued >= this.maxEvents) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
      if (!wanted()) return undefined;
      commits.push(this.enqueue(pieces.next()));
    } while (!pieces.done);
    return { committed: commits.length === 1 ? commits[0]! : Promise.all(commits).then(() => undefined) };
  }

  /**
   * What a submission weighs against a transaction's worth (maxEvents): its events, and as many
   * again as the share of MAX_BATCH_VALUES its rows hold (a piece at that limit fills a transaction).
   */
  private cost(prepared: readonly Prepared[], values: number): number {
    return prepared.length + Math.ceil((values * this.maxEvents) / MAX_BATCH_VALUES);
  }

  private enqueue(prepared: Prepared[]): Promise<void> {
    let values = 0;
    for (const p of prepared) values += valuesOf(p);
    const cost = this.cost(prepared, values);
    this.queued += cost;
    const committed = new Promise<void>((resolve, reject) => {
      this.queue.push({ prepared, cost, values, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the other partitions' handlers of the same fetch submit first.
        setImmediate(() => void this.drain());
      }
    });
    if (this.composeLate && this.queued >= this.maxEvents) {
      this.composeLate = false;
      this.composed = this.compose();
      this.executor.planAhead(this.composed.prepared);
    }
    return committed;
  }

  /** Takes the next transaction's submissions off the queue: whole ones, as many as fit. */
  private compose(): Composed {
    const take: Pending[] = [this.queue.shift()!];
    let events = take[0]!.prepared.length;
    let values = take[0]!.values;
    let cost = take[0]!.cost;
    while (
      this.queue.length > 0 &&
      events + this.queue[0]!.prepared.length <= this.maxEvents &&
      values + this.queue[0]!.values <= MAX_BATCH_VALUES
    ) {
      const next = this.queue.shift()!;
      events += next.prepared.length;
      values += next.values;
      cost += next.cost;
      take.push(next);
    }
    this.queued -= cost;
    return { take, prepared: take.length === 1 ? take[0]!.prepared : take.flatMap((t) => t.prepared) };
  }

  private async drain(): Promise<void> {
    while (this.composed !== undefined || this.queue.length > 0) {
      const batch = this.composed ?? this.compose();
      this.composed = undefined;
      const waiting = this.waiters;
      this.waiters = [];
      try {
        await this.executor.applyPrepared(batch.prepared, () => {
          // Submitters held back by the bound prepare their records while this transaction runs.
          for (const w of waiting) w();
          // With a whole transaction's worth queued, the next one is composed now (nothing that
          // comes later could join it), and the executor plans it while MySQL writes this one (its
          // offsets are checked in its own transaction). Otherwise it is left to fill up.
          if (this.queued < this.maxEvents) {
            this.composeLate = true;
            return undefined;
          }
          this.composed = this.compose();
          return this.composed.prepared;
        });
        this.composeLate = false;
        for (const t of batch.take) t.resolve();
      } catch (e) {
        this.composeLate = false;
        // What is queued behind a failed transaction would be applied past its records: drop it too.
        const composed = this.composed as Composed | undefined; // set by the callback above
        const behind = [...(composed?.take ?? []), ...this.queue.splice(0)];
        this.composed = undefined;
        this.queued = 0;
        for (const t of [...batch.take, ...behind]) t.reject(e);
      }
    }
    this.running = false;
    // Nothing queued: whoever still waits may go.
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
