import { isUtf8 } from "node:buffer";
import { setTimeout as sleep } from "node:timers/promises";
import type { CompiledSpec } from "../compile/compile.js";
import type { DeadLetter } from "../compile/engine-statements.js";
import { MapError, type MappedOp, mapEvent } from "../compile/map-event.js";
import type { Statement } from "../compile/statements.js";
import { DatabaseError } from "../core/database-error.js";
import { log } from "../core/log.js";
import type { SourceRecord } from "../core/source-record.js";
import { deadLetterStatements, letterFor } from "./dead-letters.js";
import {
  type BatchDecision,
  decideBatch,
  type MappedEvent,
  type RowRequest,
  rowRequests,
  selectingUniques,
} from "./decide.js";
import { checkEnvelope, EnvelopeError } from "./decode.js";
import { buildStatements } from "./group-statements.js";
import { loadRows } from "./load-rows.js";
import { lockOffsets, nextOffsets, saveOffsets, unappliedFilter } from "./offsets.js";
import type { Database, Transaction } from "./ports.js";
import { RowState } from "./row-state.js";
import type { Stats } from "./stats.js";

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
  readonly onRetry?: (error: DatabaseError, attempt: number, delayMs: number) => void;
  /**
   * Plan the next batch (read its rows as committed, decide, build its statements) while MySQL
   * writes this one; default on. With a consumer group, the plan is used only if the offsets,
   * locked in the batch's transaction, show none of its records applied meanwhile.
   */
  readonly lookahead?: boolean;
}

/** Runs while MySQL writes a batch; returns the next batch when the caller has it, to be planned ahead. */
export type WhileWaiting = () => readonly Prepared[] | undefined;

/** How long a batch waits for its plan made ahead before planning in its own transaction. */
const AHEAD_WAIT_MS = 5_000;

/** A batch decided and built ahead, valid if the batch before it commits as planned. */
interface BatchPlan {
  readonly live: readonly Prepared[];
  readonly events: MappedEvent[];
  readonly state: RowState;
  readonly decision: BatchDecision;
  readonly statements: readonly Statement[];
}

/** What the next batch may take from this one's plan: its row state, and tables it changed untracked. */
interface Basis {
  readonly state: RowState;
  readonly dirty: ReadonlySet<string>;
}

/** Events of the batch that mapped cleanly, with their index in the batch. */
function mappedEvents(live: readonly Prepared[]): MappedEvent[] {
  const events: MappedEvent[] = [];
  live.forEach((p, index) => {
    if (p.kind === "event") events.push({ index, eventType: p.eventType, ops: p.ops });
  });
  return events;
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
  /** The next batch, planned while the current one was written (see ExecutorOptions.lookahead). */
  private ahead: { prepared: readonly Prepared[]; plan: Promise<BatchPlan | undefined> } | undefined;
  private readonly lookahead: boolean;
  /** False while a batch is being retried (reported by /readyz). */
  ready = true;

  constructor(
    private readonly compiled: CompiledSpec,
    private readonly db: Database,
    private readonly options: ExecutorOptions,
  ) {
    this.uniques = selectingUniques(compiled);
    this.lookahead = options.lookahead ?? true;
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
   * runs once while MySQL executes the batch: the caller prepares the next batch there, and may
   * return it so that it is planned ahead too.
   */
  async applyPrepared(prepared: readonly Prepared[], whileWaiting?: WhileWaiting): Promise<void> {
    let pending = whileWaiting;
    const once = () => {
      const run = pending;
      pending = undefined;
      return run?.();
    };
    try {
      if (prepared.length > 0) await this.applyWithRetries(prepared, once);
    } finally {
      once();
    }
  }

  private prepareOne(record: SourceRecord): Prepared {
    const raw = record.value;
    if (typeof raw !== "string" && !isUtf8(raw)) {
      return {
        kind: "dead",
        record,
        eventType: undefined,
        letter: letterFor(record, "payload is not valid UTF-8"),
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
        letter: letterFor(record, `undecodable JSON: ${(e as Error).message}`),
      };
    }
    const envelope = checkEnvelope(value);
    const dead = (reason: string, eventId: string | undefined, eventType: string | undefined): Prepared => ({
      kind: "dead",
      record,
      eventType,
      letter: letterFor(record, reason, eventId, eventType),
    });
    if (envelope instanceof EnvelopeError) return dead(envelope.reason, envelope.eventId, envelope.eventType);
    const actions = this.compiled.events.get(envelope.event_type);
    if (!actions) {
      if (!this.options.deadLetterUnknown) return { kind: "skip", record, eventType: envelope.event_type };
      const reason = `unknown event type ${envelope.event_type} (no projection declares it)`;
      return dead(reason, envelope.event_id, envelope.event_type);
    }
    const ops = mapEvent(actions, envelope);
    if (ops instanceof MapError) return dead(ops.reason, envelope.event_id, envelope.event_type);
    return { kind: "event", record, eventType: envelope.event_type, eventId: envelope.event_id, ops };
  }

  /**
   * Kafka records whose offsets the offsets table already passed were applied by an earlier
   * transaction (a redelivery after a crash, or a former owner of the partition): drop them, and
   * a second copy of a record in the same batch. The offset rows stay locked until commit, so two
   * consumers never apply the same records.
   */
  private async unapplied(tx: Transaction, prepared: readonly Prepared[]): Promise<readonly Prepared[]> {
    const group = this.options.group;
    if (group === undefined) return prepared;
    const fresh = unappliedFilter(
      await lockOffsets(
        tx,
        group,
        prepared.map((p) => p.record),
      ),
    );
    return prepared.filter((p) => fresh(p.record));
  }

  private async applyWithRetries(prepared: readonly Prepared[], whileWaiting?: WhileWaiting): Promise<void> {
    const ahead = this.ahead?.prepared === prepared ? this.ahead.plan : undefined;
    this.ahead = undefined;
    // Normally ready long before; a reader session stuck on a dead server must not hold the batch.
    let planned: BatchPlan | undefined;
    if (ahead) {
      const timer = new AbortController();
      const giveUp = sleep(AHEAD_WAIT_MS, undefined, { ref: false, signal: timer.signal }).catch(
        () => undefined,
      );
      planned = await Promise.race([ahead, giveUp]);
      timer.abort();
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const started = performance.now();
        const done = await this.db.transaction(async (tx) => {
          const t0 = performance.now();
          // The offsets are locked and checked here either way; a plan made ahead holds only if none
          // of its Kafka records was applied meanwhile (by an earlier owner of the partition).
          const unapplied = await this.unapplied(tx, prepared);
          if (planned && unapplied.length !== prepared.length) planned = undefined;
          const fromAhead = planned !== undefined;
          const plan = planned ?? (await this.planInTransaction(tx, unapplied));
          planned = undefined; // a retry plans again, in its transaction
          const { live, events, decision, statements } = plan;
          const t2 = performance.now();
          const basis: Basis = { state: plan.state, dirty: this.dirtyTables(decision) };
          const meanwhile = () => {
            const next = whileWaiting?.();
            if (next && next.length > 0 && this.lookahead) {
              this.ahead = { prepared: next, plan: this.planAhead(next, basis) };
            }
          };
          await tx.execute(statements, meanwhile);
          const t3 = performance.now();
          if (debugging)
            log.debug("batch", {
              events: live.length,
              statements: statements.length,
              planned_ahead: fromAhead,
              load_decide_build_ms: Math.round(t2 - t0),
              execute_ms: Math.round(t3 - t2),
              ...memory(),
            });
          const letters = live.flatMap((p) => (p.kind === "dead" ? [p.letter] : []));
          events.forEach((ev, i) => {
            const rejected = decision.results[i]?.rejected;
            const p = live[ev.index];
            if (rejected && p?.kind === "event")
              letters.push(letterFor(p.record, rejected, p.eventId, p.eventType));
          });
          if (letters.length > 0) await tx.execute(deadLetterStatements(letters, this.db.statementBytes));
          // Over every record of the batch, dropped ones too: a redelivered record may carry where the
          // partition goes on past markers (its `next`), and offsets only ever rise (see saveOffsets).
          const group = this.options.group;
          if (group !== undefined)
            await saveOffsets(
              tx,
              nextOffsets(
                prepared.map((p) => p.record),
                group,
              ),
            );
          return { decision, events, live, fromAhead };
        });
        this.ready = true;
        if (done.fromAhead) this.options.stats.plannedAhead++;
        this.count(done.live, done.events, done.decision, performance.now() - started);
        const now = Date.now();
        for (const p of done.live) {
          const ts = p.record.kafka?.timestamp;
          if (ts !== undefined) this.options.stats.recordLatency(now - Number(ts));
        }
        return;
      } catch (e) {
        this.ahead = undefined; // planned on a state this batch did not reach
        const err = e as DatabaseError;
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
        if (!(e instanceof DatabaseError)) throw e; // a bug, not bad data
        whileWaiting?.();
        await this.isolate(prepared, err);
        return;
      }
    }
  }

  /** Plans a batch's records not applied before in its transaction, on their rows as it sees them. */
  private async planInTransaction(tx: Transaction, live: readonly Prepared[]): Promise<BatchPlan> {
    const events = mappedEvents(live);
    const state = await loadRows((q) => tx.select(q), rowRequests(events, this.compiled), this.uniques);
    return this.decide(live, events, state);
  }

  /** Decides a batch against a row state and builds its statements. */
  private decide(live: readonly Prepared[], events: MappedEvent[], state: RowState): BatchPlan {
    const decision = decideBatch(events, this.compiled, state, this.uniques);
    return {
      live,
      events,
      state,
      decision,
      statements: buildStatements(decision.ops, this.compiled, this.db.statementBytes),
    };
  }

  /**
   * Plans the next batch on top of this one's row state, while this one is written: rows this batch
   * knows (read, written or deleted) come from its state, the others are read as committed (this
   * batch does not touch them). Tables this batch changes without tracking each row (child rows of
   * a replace, cascades of a delete, log tables) cannot be known that way: a next batch that needs
   * rows of them is planned in its own transaction instead. Undefined when it cannot be planned.
   */
  private async planAhead(prepared: readonly Prepared[], basis: Basis): Promise<BatchPlan | undefined> {
    try {
      const events = mappedEvents(prepared);
      const requests = rowRequests(events, this.compiled);
      if (requests.some((r) => basis.dirty.has(r.table.name))) return undefined;
      const state = new RowState();
      const toLoad: RowRequest[] = [];
      for (const r of requests) {
        const table = r.table.name;
        const keys = new Map<string, readonly unknown[]>();
        for (const [k, values] of r.keys) if (!basis.state.copyRowTo(state, table, k)) keys.set(k, values);
        const uniques: RowRequest["uniques"] = new Map();
        for (const [name, u] of r.uniques) {
          const values = new Map<string, readonly unknown[]>();
          for (const [k, vals] of u.values) {
            const owner = basis.state.resolveUnique(table, name, k);
            if (owner === undefined) values.set(k, vals);
            else basis.state.copyRowTo(state, table, owner);
          }
          if (values.size > 0) uniques.set(name, { key: u.key, values });
        }
        if (keys.size > 0 || uniques.size > 0) toLoad.push({ table: r.table, keys, uniques });
      }
      if (toLoad.length > 0)
        await loadRows((q) => this.db.select(q), toLoad, this.uniques, state, basis.state);
      return this.decide(prepared, events, state);
    } catch (e) {
      log.debug("planning ahead failed; the batch is planned in its transaction", { error: String(e) });
      return undefined;
    }
  }

  /** Tables whose rows a batch changes without its row state knowing each one. */
  private dirtyTables(decision: BatchDecision): Set<string> {
    const dirty = new Set<string>();
    const withDescendants = (table: string) => {
      if (dirty.has(table)) return;
      dirty.add(table);
      for (const c of this.compiled.children.get(table) ?? []) withDescendants(c.name);
    };
    for (const { op, tombOnly } of decision.ops) {
      if (tombOnly) continue;
      const a = op.action;
      if (a.mode === "replace" || a.mode === "append") withDescendants(a.table.name);
      else if (a.mode === "delete")
        for (const c of this.compiled.children.get(a.table.name) ?? []) withDescendants(c.name);
    }
    return dirty;
  }

  /** The batch failed on its data: split it until the event that fails is alone, and dead-letter that one. */
  private async isolate(prepared: readonly Prepared[], err: DatabaseError): Promise<void> {
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
                letter: letterFor(p.record, reason, p.eventId, p.eventType),
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
    for (const { op, tombOnly } of decision.ops) {
      if (!tombOnly) s.addRows(op.action.table.name, op.rows ? op.rows.length : 1);
    }
  }
}
