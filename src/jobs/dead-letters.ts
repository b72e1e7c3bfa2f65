import { isUtf8 } from "node:buffer";
import type { CompiledSpec } from "../compile/compile.js";
import { DEAD_LETTERS } from "../compile/engine-tables.js";
import { listTablesStatement } from "../compile/reads.js";
import { UserError } from "../core/user-error.js";
import { ExecutorStopped } from "../run/executor.js";
import { letterRecord } from "../run/heal.js";
import type { Row } from "../run/ports.js";
import { prepareRecord } from "../run/prepare.js";
import { Stats } from "../run/stats.js";
import { isMissingDatabase, type MysqlSink } from "../sink/mysql-sink.js";
import { addCountersStatement } from "../store/counters.js";
import {
  countLettersStatement,
  deleteLettersByIdStatement,
  type LetterCursor,
  type LetterFilter,
  type LetterKind,
  maxLetterIdStatement,
  selectLettersStatement,
  selectLettersToRetryStatement,
} from "../store/dead-letters.js";
import { openSink } from "./database.js";
import { applyInPieces, jobExecutor, startUp, stopOnSignals } from "./job.js";

export type { LetterFilter };

/** Scope of projector_counters for what `dead-letters retry` applied, and for purges. */
export const RETRY_SCOPE = "dead-letters retry";
export const PURGE_SCOPE = "dead-letters purge";

/** The filters every `dead-letters` subcommand takes, as the flags give them. */
export interface LetterFlags {
  eventType?: string;
  source?: string;
  reason?: string;
  since?: string;
  kind?: string;
}

/** `--since`: an ISO time, or a duration back from now (`90s`, `15m`, `2h`, `7d`), as a UTC DATETIME(6) literal. */
export function sinceOption(raw: string, now = Date.now()): string {
  const rel = /^\s*(\d+)\s*(s|m|h|d)\s*$/i.exec(raw);
  const ms = rel
    ? now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[rel[2]!.toLowerCase() as "s"]
    : Date.parse(raw);
  if (!Number.isFinite(ms))
    throw new UserError(
      `--since must be a time like 2025-01-15T10:00:00Z or a duration back from now like 15m, 2h or 7d, got ${JSON.stringify(raw)}`,
    );
  return `${new Date(ms).toISOString().replace("T", " ").replace("Z", "")}000`;
}

/** The filter of the flags (and ids), each flag checked. */
export function letterFilter(o: LetterFlags, ids?: readonly string[]): LetterFilter {
  if (o.kind !== undefined && o.kind !== "failed" && o.kind !== "unmatched")
    throw new UserError(`--kind must be failed or unmatched, got ${JSON.stringify(o.kind)}`);
  for (const id of ids ?? [])
    if (!/^[1-9]\d{0,18}$/.test(id))
      throw new UserError(`a letter id is a positive integer, got ${JSON.stringify(id)}`);
  return {
    ...(ids && ids.length > 0 ? { ids } : {}),
    ...(o.eventType !== undefined ? { eventType: o.eventType } : {}),
    ...(o.source !== undefined ? { source: o.source } : {}),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
    ...(o.since !== undefined ? { since: sinceOption(o.since) } : {}),
    ...(o.kind !== undefined ? { kind: o.kind as LetterKind } : {}),
  };
}

/** A UTC DATETIME(6) as the driver returns it (text, or a Date), as ISO 8601. */
function time(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  const t = String(v);
  return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(t) ? `${t.replace(" ", "T")}Z` : t;
}

/** A letter as `list --json` prints it. */
export interface Letter {
  id: string;
  kind: string;
  source: string;
  position: string;
  event_id: string | null;
  event_type: string | null;
  reason: string;
  attempts: number;
  first_failed_at: string | null;
  last_failed_at: string | null;
  retriable: boolean;
  payload_bytes: number;
}

function listed(r: Row): Letter {
  return {
    id: String(r.id),
    kind: String(r.kind),
    source: String(r.source),
    position: String(r.position),
    event_id: r.event_id === null ? null : String(r.event_id),
    event_type: r.event_type === null ? null : String(r.event_type),
    reason: String(r.reason),
    attempts: Number(r.attempts),
    first_failed_at: time(r.first_failed_at),
    last_failed_at: time(r.failed_at),
    retriable: Boolean(Number(r.retriable)),
    payload_bytes: Number(r.payload_bytes),
  };
}

/** A payload as text when it is UTF-8, else base64. */
function payloadText(v: unknown): { encoding: "utf8" | "base64"; text: string } {
  const b = Buffer.isBuffer(v) ? v : Buffer.from(String(v ?? ""));
  return isUtf8(b)
    ? { encoding: "utf8", text: b.toString("utf8") }
    : { encoding: "base64", text: b.toString("base64") };
}

/** A letter with its raw payload and record key (each as UTF-8 text, or base64). */
export interface LetterWithPayload extends Letter {
  payload: { encoding: "utf8" | "base64"; text: string };
  recordKey: { encoding: "utf8" | "base64"; text: string } | null;
}

/** The dead letters table, read and purged (list, show, purge); close() when done. */
export class LetterBox {
  private constructor(
    private readonly sink: MysqlSink | undefined,
    /** Whether the letters table exists (a database nothing ran on has no letters). */
    private readonly hasTable: boolean,
  ) {}

  /** Opens the database; one that does not exist, or has no letters table yet, holds no letters (nothing is created). */
  static async open(mysqlUrl: string): Promise<LetterBox> {
    let sink: MysqlSink;
    try {
      sink = await openSink(mysqlUrl, { createDatabase: false });
    } catch (e) {
      if (isMissingDatabase(e)) return new LetterBox(undefined, false);
      throw e;
    }
    const [tables = []] = await sink.select([listTablesStatement()]);
    return new LetterBox(
      sink,
      tables.some((r) => r.t === DEAD_LETTERS),
    );
  }

  /** The sink, when there are letters to read. */
  private get letters(): MysqlSink | undefined {
    return this.hasTable ? this.sink : undefined;
  }

  async close(): Promise<void> {
    await this.sink?.close();
  }

  /**
   * The matching letters, oldest first, in pages read by id: memory stays bounded however many
   * there are (`limit` 0: all of them).
   */
  async *pages(filter: LetterFilter, limit: number, page = 500): AsyncGenerator<Letter[]> {
    const sink = this.letters;
    if (!sink) return;
    let afterId: string | undefined;
    for (let read = 0; ; ) {
      const want = limit === 0 ? page : Math.min(page, limit - read);
      if (want <= 0) return;
      const [rows = []] = await sink.select([selectLettersStatement(filter, { afterId, limit: want })]);
      if (rows.length === 0) return;
      afterId = String(rows[rows.length - 1]!.id);
      read += rows.length;
      yield rows.map(listed);
      if (rows.length < want) return;
    }
  }

  /** How many letters match. */
  async total(filter: LetterFilter): Promise<number> {
    const sink = this.letters;
    if (!sink) return 0;
    const [counts = []] = await sink.select([countLettersStatement(filter)]);
    return counts.reduce((n, r) => n + Number(r.n), 0);
  }

  /** One letter with its payload, or undefined. */
  async show(id: string): Promise<LetterWithPayload | undefined> {
    const filter = letterFilter({}, [id]);
    const sink = this.letters;
    if (!sink) return undefined;
    const [rows = []] = await sink.select([selectLettersStatement(filter, { limit: 1, payload: true })]);
    const r = rows[0];
    if (!r) return undefined;
    return {
      ...listed(r),
      payload: payloadText(r.payload),
      recordKey: r.record_key === null || r.record_key === undefined ? null : payloadText(r.record_key),
    };
  }

  /**
   * The letters a purge would delete now, and the filter that keeps it to them: letters recorded
   * once the purge began (a run going on) are not what was confirmed.
   */
  async purgeable(filter: LetterFilter): Promise<{ filter: LetterFilter; total: number }> {
    const sink = this.letters;
    if (!sink) return { filter, total: 0 };
    const [last = []] = await sink.select([maxLetterIdStatement()]);
    const upTo: LetterFilter = { ...filter, maxId: String(last[0]?.m ?? 0) };
    return { filter: upTo, total: await this.total(upTo) };
  }

  /**
   * Deletes the letters of `filter` (from purgeable) in steps of 1000, each with its counts in one
   * transaction (a retry may remove some meanwhile); resolves with how many it deleted.
   */
  async purge(filter: LetterFilter): Promise<number> {
    const sink = this.letters;
    if (!sink) return 0;
    let purged = 0;
    for (;;) {
      const n = await sink.transaction(async (tx) => {
        const [rows = []] = await tx.select([
          selectLettersStatement(filter, { limit: 1000, forUpdate: true }),
        ]);
        if (rows.length === 0) return 0;
        const byType = new Map<string, number>();
        for (const r of rows) {
          const t = r.event_type === null ? "(undecodable)" : String(r.event_type);
          byType.set(t, (byType.get(t) ?? 0) + 1);
        }
        await tx.execute([
          deleteLettersByIdStatement(rows.map((r) => String(r.id))),
          addCountersStatement(
            [...byType].map(([t, k]) => [PURGE_SCOPE, t, "purged", k] as const),
            sink.dialect,
          ),
        ]);
        return rows.length;
      });
      if (n === 0) return purged;
      purged += n;
    }
  }
}

/** What a filter matches, by kind, event type and reason: `[kind, event type, reason, retriable, n]`. */
async function countsOf(
  select: (f: LetterFilter) => Promise<Row[]>,
  filter: LetterFilter,
): Promise<{ total: number; retriable: number; rows: Row[] }> {
  const rows = await select(filter);
  let total = 0;
  let retriable = 0;
  for (const r of rows) {
    total += Number(r.n);
    if (Number(r.retriable)) retriable += Number(r.n);
  }
  return { total, retriable, rows };
}

export interface RetryJob {
  readonly mysqlUrl: string;
  readonly filter: LetterFilter;
  readonly batchSize: number;
  /** Map each letter with the current specs, write nothing. */
  readonly dryRun: boolean;
  /** After each batch: letters seen, of how many retriable. */
  readonly progress?: (seen: number, retriable: number) => void;
}

/**
 * Retry: the matching letters go through the runtime again with the current specs, in the order
 * their records came (per source: partition and offset, or line), with the stale guards and
 * tombstones as they are now. A letter that applies is removed; one that fails again keeps its
 * letter with the new reason and one more attempt. Resolves with the summary `retry` prints.
 */
export async function retryLetters(compiled: CompiledSpec, job: RetryJob): Promise<Record<string, unknown>> {
  const { batchSize } = job;
  const sink = await openSink(job.mysqlUrl);
  const stats = new Stats();
  const stopping = stopOnSignals();
  try {
    await startUp(sink, compiled, { command: "projector dead-letters retry" });
    // Letters recorded once the retry began (a run going on) wait for the next retry.
    const [last = []] = await sink.select([maxLetterIdStatement()]);
    const filter: LetterFilter = { ...job.filter, maxId: String(last[0]?.m ?? 0) };
    const select = async (f: LetterFilter) => (await sink.select([countLettersStatement(f)]))[0] ?? [];
    const before = await countsOf(select, filter);
    const notRetried = before.total - before.retriable;
    let cursor: LetterCursor | undefined;
    const executor = jobExecutor(
      compiled,
      sink,
      {
        stats,
        retry: true,
        scope: RETRY_SCOPE,
        // A letter of a type no spec declares stays one (it was dead-lettered so), unless a spec declares it now.
        deadLetterUnknown: true,
        maxRetries: 12,
        signal: stopping.signal,
      },
      "the retry's batch",
    );
    const wouldFail = new Map<string, number>();
    let seen = 0;
    while (!stopping.signal.aborted) {
      const [rows = []] = await sink.select([selectLettersToRetryStatement(filter, cursor, batchSize)]);
      if (rows.length === 0) break;
      const l = rows[rows.length - 1]!;
      cursor = {
        source: String(l.source),
        partition: Number(l.partition_id),
        seq: String(l.seq),
        id: String(l.id),
      };
      const records = rows.map(letterRecord);
      seen += records.length;
      if (job.dryRun) {
        // What the current specs make of each letter: mapped cleanly, or which reason it fails with.
        for (const rec of records) {
          const p = prepareRecord(compiled, rec, true);
          if (p.kind === "dead") wouldFail.set(p.letter.reason, (wouldFail.get(p.letter.reason) ?? 0) + 1);
        }
      } else if (records.length > 0) await applyInPieces(executor, records);
      job.progress?.(seen, before.retriable);
      if (rows.length < batchSize) break;
    }
    if (job.dryRun) return dryRunSummary(before, seen, notRetried, wouldFail);
    const after = await countsOf(select, job.filter);
    const s = stats.summary();
    return {
      retried: seen,
      resolved: stats.lettersResolved,
      applied: stats.applied,
      stale: stats.stale,
      skipped: stats.skipped,
      filtered: stats.filtered,
      failed_again: stats.deadLettered,
      unmatched_again: stats.unmatchedKept,
      not_retried: notRetried,
      letters_left: after.total,
      seconds: s.seconds,
      rows_by_table: s.rows_by_table,
      stopped: stopping.signal.aborted,
    };
  } catch (e) {
    if (e instanceof ExecutorStopped) throw new UserError(`retry stopped: ${e.message}`, 2);
    throw e;
  } finally {
    stopping.dispose();
    await sink.close();
  }
}

function dryRunSummary(
  before: { total: number; retriable: number; rows: Row[] },
  seen: number,
  notRetried: number,
  wouldFail: Map<string, number>,
): Record<string, unknown> {
  return {
    dry_run: true,
    would_retry: seen,
    not_retried: notRetried,
    by_event_type: Object.fromEntries([
      ...groupBy(
        before.rows.filter((r) => Number(r.retriable)),
        (r) => `${r.kind} ${r.event_type ?? "(undecodable)"}`,
      ),
    ]),
    still_failing_to_map: Object.fromEntries([...wouldFail].sort(([, a], [, b]) => b - a)),
  };
}

function groupBy(rows: readonly Row[], key: (r: Row) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + Number(r.n));
  return out;
}
