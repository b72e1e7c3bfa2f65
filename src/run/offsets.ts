import type { Dialect } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";
import { partitionKey, type SourceRecord } from "../core/source-record.js";
import { maxLetterIdStatement } from "../store/dead-letters.js";
import { lockGenerationStatement, selectRetryEpochStatement } from "../store/meta.js";
import {
  deleteOffsetsStatement,
  lockOffsetsStatement,
  type OffsetRow,
  saveOffsetsStatement,
  selectOffsetsStatement,
  skipOffsetStatement,
} from "../store/offsets.js";
import type { Database, Row } from "./ports.js";

/** The next offset per partition after these records (the highest), as rows to save for `group`. */
export function nextOffsets(records: readonly SourceRecord[], group: string): OffsetRow[] {
  // One BigInt per record, compared as such; the text only for the rows returned.
  const next = new Map<string, { topic: string; partition: number; next: bigint }>();
  for (const r of records) {
    const k = r.kafka;
    if (!k) continue;
    const key = partitionKey(k.topic, k.partition);
    const n = k.next !== undefined ? BigInt(k.next) : BigInt(k.offset) + 1n;
    const cur = next.get(key);
    if (!cur) next.set(key, { topic: k.topic, partition: k.partition, next: n });
    else if (cur.next < n) cur.next = n;
  }
  return [...next.values()].map((v) => ({
    group,
    topic: v.topic,
    partition: v.partition,
    next: v.next.toString(),
  }));
}

/** What the offsets' lock of a transaction reads (see offsetsLock). */
export interface Locked {
  readonly stored: Map<string, bigint>;
  readonly epoch: string | undefined;
  readonly generation: string | undefined;
  readonly maxLetterId?: bigint;
}

/**
 * The SELECTs locking the offset rows of the records' partitions for the transaction, and how to
 * read their rows: the stored next offsets, and the retry epoch as of then (read after the lock: a
 * retry that held the offsets is committed). Undefined when no record is a Kafka record.
 */
export function offsetsLock(
  group: string,
  records: readonly SourceRecord[],
  dialect: Dialect,
  /** Also read the specs generation under a shared lock (a fenced run). */
  fenced = false,
  /** Also read the newest dead letter's id (healing: have other processes recorded letters?). */
  letters = false,
): { statements: Statement[]; read: (sets: readonly Row[][]) => Locked } | undefined {
  const partitions = new Map<string, { topic: string; partition: number }>();
  for (const r of records) {
    const k = r.kafka;
    if (k) partitions.set(partitionKey(k.topic, k.partition), { topic: k.topic, partition: k.partition });
  }
  if (partitions.size === 0) return undefined;
  const statements = [
    lockOffsetsStatement(group, [...partitions.values()]),
    selectRetryEpochStatement(),
    ...(fenced ? [lockGenerationStatement("shared", dialect)] : []),
    ...(letters ? [maxLetterIdStatement()] : []),
  ];
  const read = (sets: readonly Row[][]): Locked => {
    const [rows = [], epochRows = []] = sets;
    const genRows = (fenced ? sets[2] : undefined) ?? [];
    const letterRows = letters ? sets[fenced ? 3 : 2] : undefined;
    const stored = new Map<string, bigint>();
    for (const r of rows)
      stored.set(partitionKey(String(r.topic), Number(r.partition_id)), BigInt(String(r.next_offset)));
    const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
    const out = { stored, epoch: text(epochRows[0]?.value), generation: text(genRows[0]?.value) };
    return letterRows ? { ...out, maxLetterId: BigInt(String(letterRows[0]?.m ?? 0)) } : out;
  };
  return { statements, read };
}

/** The statement saving the rows' offsets in a transaction (raising them only), if there are rows. */
export function saveOffsetsStatements(rows: readonly OffsetRow[], dialect: Dialect): Statement[] {
  return rows.length > 0 ? [saveOffsetsStatement(rows, dialect)] : [];
}

/**
 * Whether each record is still to apply: not below its partition's stored offset (applied before: a
 * redelivery after a crash, or a former owner of the partition), and not a second copy of a record
 * in the same list (a rewind re-queued it).
 */
export function unappliedFilter(stored: ReadonlyMap<string, bigint>): (record: SourceRecord) => boolean {
  // Highest offset kept per partition: a record queued again after a rewind sits in the same batch as its first copy.
  const kept = new Map<string, bigint>();
  return (record) => {
    const k = record.kafka;
    if (!k) return true;
    const key = partitionKey(k.topic, k.partition);
    const offset = BigInt(k.offset);
    const next = stored.get(key);
    if (next !== undefined && offset < next) return false;
    const last = kept.get(key);
    if (last !== undefined && offset <= last) return false;
    kept.set(key, offset);
    return true;
  };
}

/** A consumer group's offsets in MySQL, outside the batches: where each partition goes on. */
export class OffsetsStore {
  constructor(
    private readonly db: Pick<Database, "select" | "query" | "dialect">,
    readonly group: string,
  ) {}

  /** The next offset of one partition, or null when the group applied nothing of it yet. */
  async stored(topic: string, partition: number): Promise<bigint | null> {
    const [rows = []] = await this.db.select([selectOffsetsStatement(this.group, { topic, partition })]);
    return rows[0] ? BigInt(String(rows[0].next_offset)) : null;
  }

  /** Every partition's next offset, by partitionKey. */
  async all(): Promise<Map<string, bigint>> {
    const [rows = []] = await this.db.select([selectOffsetsStatement(this.group)]);
    return new Map(
      rows.map((r) => [partitionKey(String(r.topic), Number(r.partition_id)), BigInt(String(r.next_offset))]),
    );
  }

  /** Forgets what the group applied (a full reprocess). */
  async forget(): Promise<void> {
    const s = deleteOffsetsStatement(this.group);
    await this.db.query(s.sql, s.params);
  }

  /** Moves a partition from `from` to `to` where it stands at `from` or past it; never back. */
  async skip(topic: string, partition: number, from: bigint, to: bigint): Promise<void> {
    const s = skipOffsetStatement(this.group, topic, partition, from, to, this.db.dialect);
    await this.db.query(s.sql, s.params);
  }
}
