/** One message from a source: a JSONL line or a Kafka record. */
export interface SourceRecord {
  readonly value: Buffer | string;
  /** Human-readable position: `line 12`, or `partition 3 offset 1045`. */
  readonly position: string;
  /** Where it came from: the file name, `stdin`, or the Kafka topic. */
  readonly source: string;
  readonly kafka?: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    readonly timestamp?: string;
    /**
     * Where the partition goes on after this record when that is not offset + 1: offsets the
     * consumer never sees (transaction markers, aborted records) follow it.
     */
    readonly next?: string;
  };
}

/** Key of a topic-partition in offset maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
