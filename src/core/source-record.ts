/** One message from a source: a JSONL line or a Kafka record. */
export interface SourceRecord {
  readonly value: Buffer | string;
  /** Human-readable position: `line 12`, or `partition 3 offset 1045`. */
  readonly position: string;
  /** Where it came from: the file name, `stdin`, or the Kafka topic. */
  readonly source: string;
  /** A JSONL record's line number (1 for the first line). */
  readonly line?: number;
  /** Set when the record is re-read from its dead letter (`dead-letters retry`). */
  readonly letter?: RetriedLetter;
  /**
   * Set when the record was larger than the maximum record size: `value` holds its first
   * OVERSIZE_HEAD_BYTES only, and it goes to the dead letters with its size.
   */
  readonly oversize?: { readonly bytes: number; readonly limit: number };
  readonly kafka?: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    readonly timestamp?: string;
    /** The record's key, kept in its dead letter (null: the record has none). */
    readonly key?: Buffer | null;
    /** A tombstone: the record's value was null (a compacted topic's delete marker). */
    readonly tombstone?: boolean;
    /**
     * Where the partition goes on after this record when that is not offset + 1: offsets the
     * consumer never sees (transaction markers, aborted records) follow it.
     */
    readonly next?: string;
  };
}

/** How much of a record over the maximum record size is kept (in its dead letter). */
export const OVERSIZE_HEAD_BYTES = 4096;

/** The default maximum record size (`--max-record-bytes`, PROJECTOR_MAX_RECORD_BYTES): 4 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 4 << 20;

/** Key of a topic-partition in offset maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** What a retried record keeps of its dead letter: its row, and where and how it came first. */
export interface RetriedLetter {
  readonly id: string;
  /** The letter's position as stored (a failure again updates that same letter). */
  readonly position: string;
  readonly recordKey: Buffer | null;
  readonly partition: number;
  readonly seq: string;
}
