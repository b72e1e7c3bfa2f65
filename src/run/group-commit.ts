import type { Executor, Prepared, SourceRecord } from "./executor.js";

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

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const take: Pending[] = [this.queue.shift()!];
      let events = take[0]!.prepared.length;
      while (this.queue.length > 0 && events + this.queue[0]!.prepared.length <= this.maxEvents) {
        const next = this.queue.shift()!;
        events += next.prepared.length;
        take.push(next);
      }
      this.queued -= events;
      const waiting = this.waiters;
      this.waiters = [];
      try {
        // Submitters held back by the bound prepare their records while this transaction runs.
        await this.executor.applyPrepared(
          take.length === 1 ? take[0]!.prepared : take.flatMap((t) => t.prepared),
          () => {
            for (const w of waiting) w();
            return undefined; // planned in its transaction (offsets are locked there)
          },
        );
        for (const t of take) t.resolve();
      } catch (e) {
        for (const t of take) t.reject(e);
      }
    }
    this.running = false;
    // Nothing queued: whoever still waits may go.
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
}
