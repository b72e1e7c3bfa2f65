import { setTimeout as sleep } from "node:timers/promises";
import type { CompiledSpec } from "../compile/compile.js";
import { backoffDelay, pause } from "../core/backoff.js";
import { DatabaseError } from "../core/database-error.js";
import { log } from "../core/log.js";
import type { SourceRecord } from "../core/source-record.js";
import { type DeadLetter, deleteLettersByIdStatement } from "../store/dead-letters.js";
import { bumpRetryEpochStatement } from "../store/meta.js";
import { lockAllOffsetsStatement } from "../store/offsets.js";
import { type BatchPlan, Planner } from "./batch-plan.js";
import { countersStatements } from "./counters.js";
import { deadLetterStatements, letterFor, unmatchedReason } from "./dead-letters.js";
import { letterPlace, WaitIndex } from "./heal.js";
import { isolate } from "./isolate.js";
import { type Locked, nextOffsets, offsetsLock, saveOffsetsStatements, unappliedFilter } from "./offsets.js";
import type { Database, Row, Transaction } from "./ports.js";
import { type Prepared, prepareRecord } from "./prepare.js";
import { batchOutcomes, type Stats, typeLabel } from "./stats.js";

export interface ExecutorOptions {
  readonly stats: Stats;
  /** Dead-letter events of unknown types instead of counting and skipping them. */
  readonly deadLetterUnknown?: boolean;
  /** Give up after this many consecutive transient failures of one batch (default: never). */
  readonly maxRetries?: number;
  /** Kafka consumer group: offsets are saved with the rows. */
  readonly group?: string;
  /** Under what the batches' outcomes are counted in projector_counters (default: the group, or "replay"). */
  readonly scope?: string;
  /** Stops retrying (SIGTERM). */
  readonly signal?: AbortSignal;
  readonly onRetry?: (error: DatabaseError, attempt: number, delayMs: number) => void;
  /** MySQL refused a batch for its data: it is split to find the event (tests assert it never happens unplanned). */
  readonly onRefused?: (error: DatabaseError, events: number) => void;
  /**
   * Plan the next batch (read its rows as committed, decide, build its statements) while MySQL
   * writes this one; default on. With a consumer group, the plan is used only if the offsets,
   * locked in the batch's transaction, show none of its records applied meanwhile.
   */
  readonly lookahead?: boolean;
  /**
   * `dead-letters retry`: each transaction first locks every group's offsets (so it never overlaps
   * a run's batch) and counts itself in the retry epoch (so a run's batch planned before it is
   * planned again); the letters of records it applies are removed. No lookahead.
   */
  readonly retry?: boolean;
  /**
   * Early events that heal: `all` (default) heals the waiting letters in projector_dead_letters when
   * their rows arrive (read at start, and again when another process wrote some); `own` only those
   * this executor kept (a rebuild: the table's letters wait on the live tables); `off` none (a retry
   * applies letters itself).
   */
  readonly healing?: "all" | "own" | "off";
}

/** Runs while MySQL writes a batch; returns the next batch when the caller has it, to be planned ahead. */
export type WhileWaiting = () => readonly Prepared[] | undefined;

/** How long a batch waits for its plan made ahead before planning in its own transaction. */
const AHEAD_WAIT_MS = 5_000;

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
 * A batch whose offsets' lock, sent with its statements, did not let its plan hold (or whose
 * statements failed before it could be read): rolled back, applied again.
 */
class Replan extends Error {
  constructor(cause?: unknown) {
    super("the plan made ahead does not hold", cause === undefined ? undefined : { cause });
  }
}

/**
 * The batch executor shared by `replay` and `run`. Its stages: prepare (decode and map, pure:
 * prepare.ts), then one MySQL transaction per batch that fences the Kafka offsets (offsets.ts),
 * plans the batch (batch-plan.ts: rows read, decided, statements built), executes it, writes the
 * dead letters (dead-letters.ts) and saves the offsets. Transient failures replay the whole batch
 * after a backoff; a batch failing on its data is split until the bad event is alone (isolate.ts).
 */
export class Executor {
  private readonly planner: Planner;
  private readonly label: (eventType: string | undefined) => string;
  /** The next batch, planned while the current one was written (see ExecutorOptions.lookahead). */
  private ahead: { prepared: readonly Prepared[]; plan: Promise<BatchPlan | undefined> } | undefined;
  /** The plan of the transaction whose statements are being written: what a next one may build on. */
  private writing: BatchPlan | undefined;
  private readonly lookahead: boolean;
  /** False while a batch is being retried (reported by /readyz). */
  ready = true;
  /** The retry epoch seen by the last committed batch (see ExecutorOptions.retry). */
  private epoch: string | undefined;
  /** The specs generation this run began with, and what to do when a batch finds it moved. */
  private generation: { value: string; moved: (now: string) => void } | undefined;
  /** The letters waiting for rows (see ExecutorOptions.healing); undefined: no healing. */
  private readonly waits: WaitIndex | undefined;
  /** Whether the waiting letters were read from projector_dead_letters (healing `all`, at the first batch). */
  private waitsRead: boolean;
  /**
   * Whether the next batch planned ahead sends its offsets' lock with its statements (see
   * pipelined): not right after a batch that wrote letters (the newest letter's id moved).
   */
  private pipelineLock = true;

  constructor(
    private readonly compiled: CompiledSpec,
    private readonly db: Database,
    private readonly options: ExecutorOptions,
  ) {
    const healing = options.retry ? "off" : (options.healing ?? "all");
    this.waits = healing === "off" ? undefined : new WaitIndex();
    this.waitsRead = healing !== "all";
    this.planner = new Planner(compiled, db, this.waits);
    this.lookahead = !options.retry && (options.lookahead ?? true);
    this.label = typeLabel(compiled);
  }

  /**
   * Fences the batches on the specs generation (`run`): each reads it under a shared lock, which a
   * rebuild's swap holds exclusively, and one that finds it moved since `value` is rolled back and
   * stops the executor (`moved` is told first): the tables were swapped for newer specs.
   */
  fence(value: string, moved: (now: string) => void): void {
    this.generation = { value, moved };
  }

  /** Applies a batch of records: everything in it is applied or dead-lettered when this resolves. */
  async apply(records: readonly SourceRecord[]): Promise<void> {
    await this.applyPrepared(this.prepare(records));
  }

  /** Decodes and maps records: pure CPU work, done before (or overlapped with) the transaction. */
  prepare(records: readonly SourceRecord[]): Prepared[] {
    const unknown = this.options.deadLetterUnknown ?? false;
    return records.map((r) => prepareRecord(this.compiled, r, unknown));
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

  /**
   * Kafka records whose offsets the offsets table already passed were applied by an earlier
   * transaction (a redelivery after a crash, or a former owner of the partition): drop them, and
   * a second copy of a record in the same batch. The offset rows stay locked until commit, so two
   * consumers never apply the same records.
   */
  private async unapplied(
    tx: Transaction,
    prepared: readonly Prepared[],
  ): Promise<{ fresh: readonly Prepared[]; epoch: string | undefined }> {
    if (this.options.retry) {
      await tx.select([lockAllOffsetsStatement()]);
      await tx.execute([bumpRetryEpochStatement()]);
      return { fresh: prepared, epoch: undefined };
    }
    const lock = this.offsetsLock(prepared);
    if (lock === undefined) return { fresh: prepared, epoch: undefined };
    const locked = lock.read(await tx.select(lock.statements));
    this.checkGeneration(locked.generation);
    const { stored, epoch, maxLetterId } = locked;
    const fresh = unappliedFilter(stored);
    const waits = this.waits;
    if (waits && maxLetterId !== undefined) {
      // A retry committed since: letters it kept may wait on other rows now; read them all again.
      if (this.epoch !== undefined && epoch !== this.epoch) waits.clear();
      // Letters another member of the group (or this one) recorded since: what they wait on.
      if (maxLetterId > waits.maxId) await waits.refresh((q) => tx.select(q), this.compiled, maxLetterId);
    }
    return { fresh: prepared.filter((p) => fresh(p.record)), epoch };
  }

  /** The offsets' lock of the batch's partitions (offsets.ts), for a consumer group's batches. */
  private offsetsLock(prepared: readonly Prepared[]) {
    const group = this.options.group;
    if (group === undefined) return undefined;
    return offsetsLock(
      group,
      prepared.map((p) => p.record),
      this.db.dialect,
      this.generation !== undefined,
      this.waitsRead && this.waits !== undefined && this.options.healing !== "own",
    );
  }

  /** Whether a fenced run's specs generation moved since it began (`generation` as its batch read it). */
  private generationMoved(generation: string | undefined): boolean {
    return this.generation !== undefined && generation !== undefined && generation !== this.generation.value;
  }

  /** A fenced run whose batch finds the specs generation moved stops (the tables were swapped). */
  private checkGeneration(generation: string | undefined): void {
    if (this.generation && this.generationMoved(generation)) {
      this.generation.moved(generation!);
      throw new ExecutorStopped(
        `the specs generation moved from ${this.generation.value} to ${generation}: tables were rebuilt with newer specs`,
      );
    }
  }

  /**
   * Plans `next` (the batch to apply after the one in flight) while MySQL writes the one in flight,
   * on top of its plan; false when no batch is being written (nothing to build on) or one is
   * planned ahead already. Called by the `whileWaiting` hook, or later by the caller once the next
   * batch is complete (GroupCommit).
   */
  planAhead(next: readonly Prepared[]): boolean {
    const plan = this.writing;
    if (!this.lookahead || plan === undefined || this.ahead !== undefined || next.length === 0) return false;
    const basis = this.planner.basis(plan);
    this.ahead = { prepared: next, plan: this.planner.ahead((q) => this.db.select(q), next, basis) };
    return true;
  }

  /** The plan made ahead for this batch, if it is ready within AHEAD_WAIT_MS. */
  private async takeAhead(prepared: readonly Prepared[]): Promise<BatchPlan | undefined> {
    const ahead = this.ahead?.prepared === prepared ? this.ahead.plan : undefined;
    this.ahead = undefined;
    if (!ahead) return undefined;
    // Normally ready long before; a reader session stuck on a dead server must not hold the batch.
    const timer = new AbortController();
    const giveUp = sleep(AHEAD_WAIT_MS, undefined, { ref: false, signal: timer.signal }).catch(
      () => undefined,
    );
    const plan = await Promise.race([ahead, giveUp]);
    timer.abort();
    return plan;
  }

  /** One transaction: fence the offsets, plan (unless planned ahead), execute, dead letters, offsets. */
  private async transaction(
    prepared: readonly Prepared[],
    planned: BatchPlan | undefined,
    whileWaiting?: WhileWaiting,
  ) {
    const meanwhile = () => {
      const next = whileWaiting?.();
      if (next) this.planAhead(next);
    };
    return this.db.transaction(async (tx) => {
      const t0 = performance.now();
      if (
        planned !== undefined &&
        this.pipelineLock &&
        this.options.group !== undefined &&
        !this.options.retry &&
        (this.waits === undefined || this.waits.holds(planned))
      )
        return this.pipelined(tx, prepared, planned, meanwhile, t0);
      // The offsets are locked and checked here either way; a plan made ahead holds only if none
      // of its Kafka records was applied meanwhile (by an earlier owner of the partition).
      const { fresh: unapplied, epoch } = await this.unapplied(tx, prepared);
      // A retry committed since the batch before (epoch moved) may have written rows a plan made
      // ahead read before it: such a plan is made again.
      const ahead =
        planned !== undefined &&
        unapplied.length === prepared.length &&
        epoch === this.epoch &&
        (this.waits === undefined || this.waits.holds(planned))
          ? planned
          : undefined;
      const plan = ahead ?? (await this.planner.inTransaction((q) => tx.select(q), unapplied));
      const t2 = performance.now();
      this.writing = plan;
      const writes = this.writes(plan, prepared);
      await tx.execute(writes.all, meanwhile);
      this.debugBatch(plan, ahead !== undefined, "own round trip", t0, t2);
      return {
        plan,
        fromAhead: ahead !== undefined,
        pipelined: false,
        outcomes: writes.outcomes,
        epoch,
        ...writes.counts,
      };
    });
  }

  /**
   * A batch planned ahead, its offsets' lock sent in the first round trip of its statements (no
   * round trip of its own): the statements run after the lock, in the transaction, and what the
   * lock read is checked before the commit. When it does not let the plan hold (records applied
   * meanwhile, a retry or another member's letters since, the specs generation moved), the
   * transaction is rolled back (Replan) and the batch is applied again the careful way.
   */
  private async pipelined(
    tx: Transaction,
    prepared: readonly Prepared[],
    plan: BatchPlan,
    meanwhile: () => void,
    t0: number,
  ) {
    const lock = this.offsetsLock(prepared);
    this.writing = plan;
    const writes = this.writes(plan, prepared);
    let sets: Row[][];
    try {
      sets = await tx.execute(writes.all, meanwhile, lock?.statements);
    } catch (e) {
      // MySQL may refuse a statement of a plan that no longer holds (a count remembered meanwhile
      // by another member: a duplicate key) before the lock's answer could be read. Whatever the
      // failure, the batch goes again the careful way, which tells bad data from a stale plan.
      throw new Replan(e);
    }
    const locked = lock?.read(sets);
    if (locked !== undefined && !this.lockHolds(locked, prepared)) throw new Replan();
    this.debugBatch(plan, true, "pipelined", t0, t0);
    return {
      plan,
      fromAhead: true,
      pipelined: true,
      outcomes: writes.outcomes,
      epoch: locked?.epoch,
      ...writes.counts,
    };
  }

  /** Whether what the offsets' lock read lets a plan made ahead hold (as transaction() checks it). */
  private lockHolds(lock: Locked, prepared: readonly Prepared[]): boolean {
    if (this.generationMoved(lock.generation) || lock.epoch !== this.epoch) return false;
    if (this.waits && lock.maxLetterId !== undefined && lock.maxLetterId > this.waits.maxId) return false;
    const fresh = unappliedFilter(lock.stored);
    return prepared.every((p) => fresh(p.record));
  }

  private debugBatch(plan: BatchPlan, ahead: boolean, lock: string, t0: number, t2: number): void {
    if (!debugging) return;
    log.debug("batch", {
      events: plan.live.length,
      statements: plan.statements.length,
      planned_ahead: ahead,
      lock,
      load_decide_build_ms: Math.round(t2 - t0),
      execute_ms: Math.round(performance.now() - t2),
      ...memory(),
    });
  }

  /** A plan's statements with the batch's dead letters, their removal, its counters and offsets. */
  private writes(plan: BatchPlan, prepared: readonly Prepared[]) {
    const { live, decision, statements } = plan;
    const letters = live.flatMap((p) => (p.kind === "dead" ? [p.letter] : []));
    const { order, results, healed } = decision;
    const at = (i: number) => (i < live.length ? live[i] : plan.letters[i - live.length]);
    // With healing, a letter decided more than once (kept, then healed) takes its last result.
    const last = new Set<string>();
    const decided: Prepared[] = [];
    const kept: DeadLetter[] = [];
    for (let i = order.length - 1; i >= 0; i--) {
      const r = results[i];
      const p = at(order[i]!.index);
      if (!r || p?.kind !== "event") continue;
      const again = healed?.[i] ?? false;
      if (healed && (again || r.keep || r.rejected)) {
        const id = letterPlace(p.record).id;
        if (last.has(id)) continue;
        last.add(id);
      }
      if (again) decided.push(p);
      if (r.rejected) kept.push(letterFor(p.record, r.rejected, p.eventId, p.eventType));
      else if (r.keep)
        kept.push(letterFor(p.record, unmatchedReason(r.keep), p.eventId, p.eventType, "unmatched"));
    }
    // In the order the events were decided.
    for (let i = kept.length - 1; i >= 0; i--) letters.push(kept[i]!);
    // A retried or healed record that got no letter again is done with: its letter goes.
    const lettered = new Set(letters.map((l) => `${l.source}\u0000${l.position}`));
    const resolved = [...live, ...decided].flatMap((p) => {
      const l = p.record.letter;
      return l && !lettered.has(`${p.record.source}\u0000${l.position}`) ? [l.id] : [];
    });
    // The batch's outcomes per event type, kept with it (status reads them), and its offsets: over
    // every record of the batch, dropped ones too (a redelivered record may carry where the
    // partition goes on past markers, its `next`; offsets only ever rise, see saveOffsetsStatements).
    const outcomes = batchOutcomes(live, plan.letters, decision, this.label);
    const group = this.options.group;
    const records = prepared.map((p) => p.record);
    // Rows, dead letters and bookkeeping in one sequence of round trips: none of it depends on
    // what MySQL answers to the rows (a failure rolls the whole transaction back).
    const all = [
      ...statements,
      ...(letters.length > 0
        ? deadLetterStatements(letters, this.db.statementBytes, this.db.maxAllowedPacket, this.db.dialect)
        : []),
      ...(resolved.length > 0 ? [deleteLettersByIdStatement(resolved)] : []),
      ...countersStatements(this.options.scope ?? group ?? "replay", outcomes, this.db.dialect),
      ...(group === undefined ? [] : saveOffsetsStatements(nextOffsets(records, group), this.db.dialect)),
    ];
    return { all, outcomes, counts: { resolved: resolved.length, lettersWritten: letters.length } };
  }

  private async applyWithRetries(prepared: readonly Prepared[], whileWaiting?: WhileWaiting): Promise<void> {
    if (!this.waitsRead && this.waits) {
      // The letters waiting for rows, as the tables hold them when the executor starts.
      await this.waits.refresh((q) => this.db.select(q), this.compiled);
      this.waitsRead = true;
    }
    let planned = await this.takeAhead(prepared);
    for (let attempt = 0; ; attempt++) {
      try {
        const started = performance.now();
        const { plan, fromAhead, pipelined, outcomes, epoch, resolved, lettersWritten } =
          await this.transaction(prepared, planned, whileWaiting).finally(() => {
            this.writing = undefined;
          });
        this.ready = true;
        this.epoch = epoch;
        // Letters written move the newest letter's id past what the index read: the next batch's
        // lock would find it moved and be applied twice (see pipelined); it takes its own round trip.
        this.pipelineLock = lettersWritten === 0;
        if (plan.settled) this.waits?.commit(plan.settled);
        const stats = this.options.stats;
        stats.lettersResolved += resolved;
        stats.serverWarnings = this.db.warnings;
        if (fromAhead) stats.plannedAhead++;
        if (pipelined) stats.lockPipelined++;
        stats.countBatch(plan.live, outcomes, plan.decision, performance.now() - started);
        const now = Date.now();
        for (const p of plan.live) {
          const ts = p.record.kafka?.timestamp;
          if (ts !== undefined) stats.recordLatency(now - Number(ts));
        }
        return;
      } catch (e) {
        this.ahead = undefined; // planned on a state this batch did not reach
        planned = undefined; // a retry plans again, in its transaction
        if (e instanceof Replan) {
          // Rolled back before anything was committed: at once, the careful way, not a failure.
          this.options.stats.replanned++;
          attempt--;
          continue;
        }
        if (!(e instanceof DatabaseError)) throw e; // a bug, not bad data
        if (!e.transient) {
          this.options.onRefused?.(e, prepared.length);
          whileWaiting?.();
          await isolate(prepared, e, (part) => this.applyWithRetries(part));
          return;
        }
        this.ready = false;
        this.options.stats.retries++;
        const max = this.options.maxRetries ?? Number.POSITIVE_INFINITY;
        if (attempt + 1 > max)
          throw new ExecutorStopped(`giving up after ${attempt + 1} attempts: ${e.message}`);
        const delay = backoffDelay(attempt, 100, 10_000);
        this.options.onRetry?.(e, attempt + 1, delay);
        if (!(await pause(delay, this.options.signal))) throw new ExecutorStopped("stopped while retrying");
      }
    }
  }
}
