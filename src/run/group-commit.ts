import type { Executor, Prepared, SourceRecord } from "./executor.js";

/** Submissions applied together in one transaction. */
interface Batch {
  readonly take: Pending[];
  readonly events: number;
  readonly prepared: Prepared[];
}

interface Pending {
  readonly prepared: Prepared[];
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit: record lists submitted concurrently (one per Kafka partition) are applied together,
 * in one transaction of at most `maxEvents` events (a single submission is never split). Each
 * submission's records keep their order; different partitions carry different keys, so their
 * relative order does not matter. Records are decoded and mapped when submitted, which overlaps
 * with the transaction in flight.
 */
export class GroupCommit {
  private readonly queue: Pending[] = [];
  private running = false;
  /** Events prepared and waiting: bounded, so many partitions at once cannot blow up memory. */
  private queued = 0;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly executor: Executor,
    private readonly maxEvents: number,
  ) {}

  /** Resolves once the records are committed (applied or dead-lettered). */
  async submit(records: readonly SourceRecord[]): Promise<void> {
    // Backpressure: prepare (and so hold in memory) at most about one transaction ahead.
    while (this.queued > 0 && this.queued + records.length > this.maxEvents) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const prepared = this.executor.prepare(records);
    this.queued += prepared.length;
    return new Promise((resolve, reject) => {
      this.queue.push({ prepared, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the other partitions' handlers of the same fetch submit first.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Takes the next transaction's submissions off the queue (at least one; at most maxEvents events). */
  private take(): Batch {
    const take: Pending[] = [this.queue.shift()!];
    let events = take[0]!.prepared.length;
    while (this.queue.length > 0 && events + this.queue[0]!.prepared.length <= this.maxEvents) {
      const next = this.queue.shift()!;
      events += next.prepared.length;
      take.push(next);
    }
    return {
      take,
      events,
      prepared: take.length === 1 ? take[0]!.prepared : take.flatMap((t) => t.prepared),
    };
  }

  private async drain(): Promise<void> {
    let next: Batch | undefined;
    while (next || this.queue.length > 0) {
      const batch = next ?? this.take();
      next = undefined;
      // Events of the next batch stay counted in `queued` until it starts: they are held in memory.
      this.queued -= batch.events;
      const waiting = this.waiters;
      this.waiters = [];
      let applying = true;
      try {
        await this.executor.applyPrepared(batch.prepared, () => {
          // Submitters held back by the bound prepare their records while this transaction runs;
          // what is queued once they have becomes the next transaction, planned while this one is
          // written (the executor checks the plan was made on top of this batch).
          for (const w of waiting) w();
          return new Promise((resolve) =>
            setImmediate(() => {
              // Only while this batch is still being applied: the loop then takes `next` first.
              if (!applying || next || this.queue.length === 0) return resolve(undefined);
              next = this.take();
              resolve(next.prepared);
            }),
          );
        });
        for (const t of batch.take) t.resolve();
      } catch (e) {
        for (const t of batch.take) t.reject(e);
      } finally {
        applying = false;
      }
    }
    this.running = false;
    // Nothing queued: whoever still waits may go.
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
