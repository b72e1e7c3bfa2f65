import type { Consumer } from "kafkajs";
import { log } from "../../core/log.js";
import type { Partitions } from "./partitions.js";

/**
 * Commits to Kafka, for lag tools, the offsets MySQL has applied since the last commit: advisory
 * only (MySQL holds the truth), one commit at a time, never what is only queued.
 */
export class KafkaCommits {
  /** The commit under way, if any. */
  private committing: Promise<void> | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly partitions: Partitions,
    /** Whether the member is in the group, and the consumer's generation (an assignment or a rewind). */
    private readonly state: { joined(): boolean; generation(): number },
  ) {}

  /** Commits (or joins the commit under way). */
  commit(): Promise<void> {
    this.committing ??= this.commitNow().finally(() => {
      this.committing = undefined;
    });
    return this.committing;
  }

  /** The commit under way: a stop waits for it (it may have read the offsets before the last records). */
  get underWay(): Promise<void> | undefined {
    return this.committing;
  }

  private async commitNow(): Promise<void> {
    if (!this.state.joined()) return;
    const generation = this.state.generation();
    const offsets = this.partitions.toCommit();
    if (offsets.length === 0) return;
    try {
      await this.consumer.commitOffsets(
        offsets.map(({ topic, partition, next }) => ({ topic, partition, offset: next.toString() })),
      );
      if (generation === this.state.generation())
        for (const o of offsets) this.partitions.markCommitted(o.key, o.next);
    } catch (e) {
      // Advisory only (a rebalance, a broker away): the next tick tries again.
      log.debug("committing offsets to Kafka failed", { error: String(e) });
    }
  }
}
