import { isUtf8 } from "node:buffer";
import { setTimeout as sleep } from "node:timers/promises";
import { MapError, type MappedOp, mapEvent } from "../compile/map-event.js";
import type { Plan } from "../compile/plan.js";
import { log } from "../log.js";
import {
  type DeadLetter,
  type MysqlSink,
  type OffsetRow,
  partitionKey,
  type SinkError,
  type SinkTx,
} from "../sink/mysql-sink.js";
import {
  type BatchDecision,
  decideBatch,
  type MappedEvent,
  rowRequests,
  selectingUniques,
} from "./batch-plan.js";
import { checkEnvelope, EnvelopeError } from "./envelope.js";
import { buildStatements } from "./statement-groups.js";
import type { Stats } from "./stats.js";

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
  };
}

export interface ExecutorOptions {
  readonly stats: Stats;
  /** Dead-letter events of unknown types instead of counting and skipping them. */
  readonly deadLetterUnknown?: boolean;
  /** Give up after this many consecutive transient failures of one batch (default: never). */
  readonly maxRetries?: number;
  /** Kafka consumer group: offsets are saved with the rows. */
  readonly group?: string;
  /** Stops retrying (SIGTERM). */
  readonly signal?: AbortSignal;
  readonly onRetry?: (error: SinkError, attempt: number, delayMs: number) => void;
}

/** A record decoded and mapped, ready for the transaction (or already known to be a dead letter). */
export type Prepared =
  | { kind: "event"; record: SourceRecord; eventType: string; eventId: string; ops: MappedOp[] }
  | { kind: "skip"; record: SourceRecord; eventType: string }
  | { kind: "dead"; record: SourceRecord; letter: DeadLetter; eventType: string | undefined };

/** Per-batch timings are only gathered for LOG_LEVEL=debug (process.memoryUsage() is not free). */
const debugging = process.env.LOG_LEVEL?.toLowerCase() === "debug";

function memory(): Record<string, number> {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1048576);
  return {
    rss_mb: mb(m.rss),
    heap_mb: mb(m.heapUsed),
    external_mb: mb(m.external),
    buffers_mb: mb(m.arrayBuffers),
  };
}

/** Thrown when the executor gives up (too many retries, or stopped while retrying). */
export class ExecutorStopped extends Error {}

/**
 * The batch executor shared by `replay` and `run`: decode and map (pure), then one MySQL transaction
 * per batch with the rows, the dead letters and the source offsets. Transient failures replay the
 * whole batch after a backoff; a batch failing on its data is split until the bad event is alone.
 */
export class Executor {
  private readonly uniques: ReadonlySet<string>;
  /** False while a batch is being retried (reported by /readyz). */
  ready = true;

  constructor(
    private readonly plan: Plan,
    private readonly sink: MysqlSink,
    private readonly options: ExecutorOptions,
  ) {
    this.uniques = selectingUniques(plan);
  }

  /** Applies a batch of records: everything in it is applied or dead-lettered when this resolves. */
  async apply(records: readonly SourceRecord[]): Promise<void> {
    await this.applyPrepared(this.prepare(records));
  }

  /** Decodes and maps records: pure CPU work, done before (or overlapped with) the transaction. */
  prepare(records: readonly SourceRecord[]): Prepared[] {
    return records.map((r) => this.prepareOne(r));
  }

  /**
   * Applies prepared records in one transaction (split only to isolate bad data). `whileWaiting`
   * runs once while MySQL executes the batch: the caller prepares the next batch there.
   */
  async applyPrepared(prepared: readonly Prepared[], whileWaiting?: () => void): Promise<void> {
    let pending = whileWaiting;
    const once = () => {
      const run = pending;
      pending = undefined;
      run?.();
    };
    try {
      if (prepared.length > 0) await this.applyWithRetries(prepared, once);
    } finally {
      once();
    }
  }

  private letter(record: SourceRecord, reason: string, eventId?: string, eventType?: string): DeadLetter {
    return {
      source: record.source,
      position: record.position,
      eventId,
      eventType,
      reason,
      payload: record.value,
    };
  }

  private prepareOne(record: SourceRecord): Prepared {
    const raw = record.value;
    if (typeof raw !== "string" && !isUtf8(raw)) {
      return {
        kind: "dead",
        record,
        eventType: undefined,
        letter: this.letter(record, "payload is not valid UTF-8"),
      };
    }
    const text = typeof raw === "string" ? raw : raw.toString("utf8");
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return {
        kind: "dead",
        record,
        eventType: undefined,
        letter: this.letter(record, `undecodable JSON: ${(e as Error).message}`),
      };
    }
    const envelope = checkEnvelope(value);
    const dead = (reason: string, eventId: string | undefined, eventType: string | undefined): Prepared => ({
      kind: "dead",
      record,
      eventType,
      letter: this.letter(record, reason, eventId, eventType),
    });
    if (envelope instanceof EnvelopeError) return dead(envelope.reason, envelope.eventId, envelope.eventType);
    const actions = this.plan.events.get(envelope.event_type);
    if (!actions) {
      if (!this.options.deadLetterUnknown) return { kind: "skip", record, eventType: envelope.event_type };
      const reason = `unknown event type ${envelope.event_type} (no projection declares it)`;
      return dead(reason, envelope.event_id, envelope.event_type);
    }
    const ops = mapEvent(actions, envelope);
    if (ops instanceof MapError) return dead(ops.reason, envelope.event_id, envelope.event_type);
    return { kind: "event", record, eventType: envelope.event_type, eventId: envelope.event_id, ops };
  }

  private offsets(prepared: readonly Prepared[]): OffsetRow[] {
    const group = this.options.group;
    if (group === undefined) return [];
    const next = new Map<string, OffsetRow>();
    for (const p of prepared) {
      const k = p.record.kafka;
      if (!k) continue;
      const key = partitionKey(k.topic, k.partition);
      const n = (BigInt(k.offset) + 1n).toString();
      const cur = next.get(key);
      if (!cur || BigInt(cur.next) < BigInt(n))
        next.set(key, { group, topic: k.topic, partition: k.partition, next: n });
    }
    return [...next.values()];
  }

  /**
   * Kafka records whose offsets the offsets table already passed were applied by an earlier
   * transaction (a redelivery after a crash, or a former owner of the partition): drop them. The
   * offset rows stay locked until commit, so two consumers never apply the same records.
   */
  private async unapplied(tx: SinkTx, prepared: readonly Prepared[]): Promise<readonly Prepared[]> {
    const group = this.options.group;
    if (group === undefined) return prepared;
    const partitions = new Map<string, { topic: string; partition: number }>();
    for (const p of prepared) {
      const k = p.record.kafka;
      if (k) partitions.set(partitionKey(k.topic, k.partition), { topic: k.topic, partition: k.partition });
    }
    const stored = await tx.lockOffsets(group, [...partitions.values()]);
    if (stored.size === 0) return prepared;
    return prepared.filter((p) => {
      const k = p.record.kafka;
      const next = k && stored.get(partitionKey(k.topic, k.partition));
      return next === undefined || BigInt(k!.offset) >= next;
    });
  }

  private async applyWithRetries(prepared: readonly Prepared[], whileWaiting?: () => void): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const started = performance.now();
        const done = await this.sink.transaction(async (tx) => {
          const live = await this.unapplied(tx, prepared);
          const events: MappedEvent[] = [];
          live.forEach((p, index) => {
            if (p.kind === "event") events.push({ index, eventType: p.eventType, ops: p.ops });
          });
          const t0 = performance.now();
          const state = await tx.loadRows(rowRequests(events, this.plan), this.uniques);
          const t1 = performance.now();
          const decision = decideBatch(events, this.plan, state, this.uniques);
          const statements = buildStatements(decision.ops, this.plan);
          const t2 = performance.now();
          await tx.execute(statements, whileWaiting);
          const t3 = performance.now();
          if (debugging)
            log.debug("batch", {
              events: live.length,
              statements: statements.length,
              load_ms: Math.round(t1 - t0),
              decide_build_ms: Math.round(t2 - t1),
              execute_ms: Math.round(t3 - t2),
              ...memory(),
            });
          const letters = live.flatMap((p) => (p.kind === "dead" ? [p.letter] : []));
          events.forEach((ev, i) => {
            const rejected = decision.results[i]?.rejected;
            const p = live[ev.index];
            if (rejected && p?.kind === "event")
              letters.push(this.letter(p.record, rejected, p.eventId, p.eventType));
          });
          await tx.deadLetters(letters);
          await tx.saveOffsets(this.offsets(live));
          return { decision, events, live };
        });
        this.ready = true;
        this.count(done.live, done.events, done.decision, performance.now() - started);
        const now = Date.now();
        for (const p of done.live) {
          const ts = p.record.kafka?.timestamp;
          if (ts !== undefined) this.options.stats.recordLatency(now - Number(ts));
        }
        return;
      } catch (e) {
        const err = e as SinkError;
        if (err.transient) {
          this.ready = false;
          this.options.stats.retries++;
          const max = this.options.maxRetries ?? Number.POSITIVE_INFINITY;
          if (attempt + 1 > max)
            throw new ExecutorStopped(`giving up after ${attempt + 1} attempts: ${err.message}`);
          const delay = Math.min(10_000, 100 * 2 ** attempt);
          this.options.onRetry?.(err, attempt + 1, delay);
          try {
            await sleep(delay, undefined, this.options.signal ? { signal: this.options.signal } : undefined);
          } catch {
            throw new ExecutorStopped("stopped while retrying");
          }
          continue;
        }
        if (err.name !== "SinkError") throw e; // a bug, not bad data
        whileWaiting?.();
        await this.isolate(prepared, err);
        return;
      }
    }
  }

  /** The batch failed on its data: split it until the event that fails is alone, and dead-letter that one. */
  private async isolate(prepared: readonly Prepared[], err: SinkError): Promise<void> {
    const live = prepared.filter((p) => p.kind === "event");
    if (prepared.length === 1 || live.length <= 1) {
      const reason = `rejected by MySQL: ${err.message.replace(/^MySQL [^:]+:\/\/[^ ]+: /, "")}`;
      if (live.length === 0) throw err; // only dead letters and skips, yet MySQL refuses: not the data's fault
      const marked = prepared.map(
        (p): Prepared =>
          p.kind === "event"
            ? {
                kind: "dead",
                record: p.record,
                eventType: p.eventType,
                letter: this.letter(p.record, reason, p.eventId, p.eventType),
              }
            : p,
      );
      await this.applyWithRetries(marked);
      return;
    }
    const mid = Math.ceil(prepared.length / 2);
    await this.applyWithRetries(prepared.slice(0, mid));
    await this.applyWithRetries(prepared.slice(mid));
  }

  private count(
    prepared: readonly Prepared[],
    events: readonly MappedEvent[],
    decision: BatchDecision,
    millis: number,
  ): void {
    const s = this.options.stats;
    s.batches++;
    s.recordBatch(prepared.length, millis);
    s.read += prepared.length;
    for (const p of prepared) {
      if (p.kind === "skip") {
        s.skipped++;
        s.type(p.eventType).skipped++;
      } else if (p.kind === "dead") {
        s.deadLettered++;
        s.type(p.eventType ?? "(undecodable)").deadLettered++;
      }
    }
    events.forEach((ev, i) => {
      const r = decision.results[i]!;
      s.unmatched += r.unmatched.length;
      if (r.rejected) {
        s.deadLettered++;
        s.type(ev.eventType).deadLettered++;
      } else if (r.stale.length > 0) {
        s.stale++;
        s.type(ev.eventType).stale++;
      } else {
        s.applied++;
        s.type(ev.eventType).applied++;
      }
    });
    for (const { op } of decision.ops) {
      s.addRows(op.action.table.name, op.rows ? op.rows.length : 1);
    }
  }
}
