import { isUtf8 } from "node:buffer";
import { createInterface } from "node:readline/promises";
import { log } from "../../core/log.js";
import type { SourceRecord } from "../../core/source-record.js";
import { forTerminal, jsonText } from "../../core/terminal.js";
import { UserError } from "../../core/user-error.js";
import { ensureSchema, mysqlUrl, openSink } from "../../jobs/database.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { checkVersions } from "../../jobs/versions.js";
import { Executor, ExecutorStopped } from "../../run/executor.js";
import type { Row } from "../../run/ports.js";
import { Pieces, prepareRecord } from "../../run/prepare.js";
import { Stats } from "../../run/stats.js";
import { addCountersStatement } from "../../store/counters.js";
import {
  countLettersStatement,
  deleteLettersByIdStatement,
  type LetterCursor,
  type LetterFilter,
  type LetterKind,
  maxLetterIdStatement,
  selectLettersStatement,
  selectLettersToRetryStatement,
} from "../../store/dead-letters.js";
import { intOption } from "../errors.js";

/** The filters every `dead-letters` subcommand takes. */
export interface LetterOptions {
  mysqlUrl?: string;
  eventType?: string;
  source?: string;
  reason?: string;
  since?: string;
  kind?: string;
  json?: boolean;
}

/** Scope of projector_counters for what `dead-letters retry` applied, and for purges. */
export const RETRY_SCOPE = "dead-letters retry";
export const PURGE_SCOPE = "dead-letters purge";

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
export function letterFilter(o: LetterOptions, ids?: readonly string[]): LetterFilter {
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
function listed(r: Row): Record<string, unknown> {
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

/**
 * The width `list` cuts its lines to: the terminal's, on a TTY that says it (a pseudo-terminal of
 * a CI runner or `script` may say 0 columns, or none: then nothing is cut).
 */
export function tableWidth(stream: { isTTY?: boolean; columns?: number }): number {
  const columns = stream.columns ?? 0;
  return stream.isTTY && columns > 0 ? Math.max(columns, 40) : Number.POSITIVE_INFINITY;
}

/**
 * A table with a header, columns padded; the last column cut to the terminal's width on a TTY.
 * The cells are data (event types, sources, reasons): control characters escaped, one line each.
 */
function printTable(header: readonly string[], cells: readonly (readonly string[])[]): void {
  const rows = cells.map((r) => r.map((c) => forTerminal(c)));
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (i < r.length - 1 ? r[i]!.length : 0))),
  );
  const width = tableWidth(process.stdout);
  const line = (cells: readonly string[]) => {
    const text = cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join("  ");
    return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  };
  process.stdout.write(`${[line(header), ...rows.map(line)].join("\n")}\n`);
}

const LIST_HEADER = [
  "id",
  "kind",
  "event type",
  "source",
  "position",
  "tries",
  "first failed",
  "last failed",
  "reason",
];

function listRow(l: Record<string, unknown>): string[] {
  // To the second, in UTC: the table stays narrow (list --json and show have the microseconds).
  const t = (v: unknown) => (v === null ? "-" : `${String(v).replace("T", " ").slice(0, 19)}Z`);
  return [
    String(l.id),
    `${l.kind}${l.retriable ? "" : " (not retriable)"}`,
    String(l.event_type ?? "-"),
    String(l.source),
    String(l.position),
    String(l.attempts),
    t(l.first_failed_at),
    t(l.last_failed_at),
    String(l.reason).replace(/\s+/g, " "),
  ];
}

/** `projector dead-letters list`: the matching letters, oldest first (at most `--limit`). */
export async function listCommand(o: LetterOptions & { limit: string }): Promise<number> {
  const filter = letterFilter(o);
  const limit = intOption("--limit", o.limit, 0);
  const sink = await openSink(mysqlUrl(o.mysqlUrl));
  try {
    const letters: Record<string, unknown>[] = [];
    let afterId: string | undefined;
    // Paged by id: memory stays bounded however many letters there are (--limit 0 lists them all).
    const page = 500;
    let first = true;
    let printed = 0;
    if (o.json) process.stdout.write("[");
    for (;;) {
      const want = limit === 0 ? page : Math.min(page, limit - printed);
      if (want <= 0) break;
      const [rows = []] = await sink.select([selectLettersStatement(filter, { afterId, limit: want })]);
      if (rows.length === 0) break;
      afterId = String(rows[rows.length - 1]!.id);
      for (const r of rows) {
        const l = listed(r);
        if (o.json) {
          process.stdout.write(`${first ? "" : ","}\n${jsonText(l)}`);
          first = false;
        } else letters.push(l);
      }
      printed += rows.length;
      if (!o.json && letters.length >= 5000) {
        printTable(LIST_HEADER, letters.map(listRow));
        letters.length = 0;
      }
      if (rows.length < want) break;
    }
    if (o.json) {
      process.stdout.write(first ? "]\n" : "\n]\n");
      return 0;
    }
    const [counts = []] = await sink.select([countLettersStatement(filter)]);
    const total = counts.reduce((n, r) => n + Number(r.n), 0);
    if (total === 0) {
      process.stdout.write("no dead letters match\n");
      return 0;
    }
    if (letters.length > 0) printTable(LIST_HEADER, letters.map(listRow));
    process.stdout.write(
      `\n${printed} of ${total} letter(s)${printed < total ? ` (--limit ${limit}; --limit 0 lists all)` : ""}; projector dead-letters show <id> prints one with its payload\n`,
    );
    return 0;
  } finally {
    await sink.close();
  }
}

/** A payload as text when it is UTF-8, else base64. */
function payloadText(v: unknown): { encoding: "utf8" | "base64"; text: string } {
  const b = Buffer.isBuffer(v) ? v : Buffer.from(String(v ?? ""));
  return isUtf8(b)
    ? { encoding: "utf8", text: b.toString("utf8") }
    : { encoding: "base64", text: b.toString("base64") };
}

/** `projector dead-letters show <id>`: one letter, with its raw payload and record key. */
export async function showCommand(id: string, o: { mysqlUrl?: string; json?: boolean }): Promise<number> {
  const filter = letterFilter({}, [id]);
  const sink = await openSink(mysqlUrl(o.mysqlUrl));
  try {
    const [rows = []] = await sink.select([selectLettersStatement(filter, { limit: 1, payload: true })]);
    const r = rows[0];
    if (!r) throw new UserError(`no dead letter with id ${id} (projector dead-letters list shows them)`);
    const l = listed(r);
    const payload = payloadText(r.payload);
    const key = r.record_key === null || r.record_key === undefined ? null : payloadText(r.record_key);
    if (o.json) {
      process.stdout.write(
        `${jsonText({
          ...l,
          payload: payload.text,
          payload_encoding: payload.encoding,
          record_key: key?.text ?? null,
          ...(key ? { record_key_encoding: key.encoding } : {}),
        })}\n`,
      );
      return 0;
    }
    // Every field is data: one line each, control characters escaped; the payload keeps its lines
    // and tabs (a record may hold several lines), its other control characters escaped.
    const one = (v: unknown) => forTerminal(String(v));
    const lines = [
      `id              ${l.id}`,
      `kind            ${one(l.kind)}`,
      `source          ${one(l.source)}`,
      `position        ${one(l.position)}`,
      `event id        ${one(l.event_id ?? "-")}`,
      `event type      ${one(l.event_type ?? "-")}`,
      `attempts        ${l.attempts}`,
      `first failed    ${l.first_failed_at}`,
      `last failed     ${l.last_failed_at}`,
      `retriable       ${l.retriable ? "yes" : "no: the payload is not the whole record, or holds no event"}`,
      `reason          ${one(l.reason)}`,
      `record key      ${key ? (key.encoding === "utf8" ? one(key.text) : `(base64) ${key.text}`) : "-"}`,
      `payload         ${l.payload_bytes} bytes${payload.encoding === "base64" ? ", not UTF-8: base64" : ""}:`,
      forTerminal(payload.text, true),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  } finally {
    await sink.close();
  }
}

/** A letter row as the record it was, to go through the runtime again. */
function recordOf(r: Row): SourceRecord {
  const payload = Buffer.isBuffer(r.payload) ? r.payload : Buffer.from(String(r.payload ?? ""));
  const key =
    r.record_key === null || r.record_key === undefined ? null : Buffer.from(r.record_key as Buffer);
  return {
    value: payload,
    source: String(r.source),
    position: String(r.position),
    letter: {
      id: String(r.id),
      position: String(r.position),
      recordKey: key,
      partition: Number(r.partition_id),
      seq: String(r.seq),
    },
  };
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

/**
 * `projector dead-letters retry`: the matching letters go through the runtime again with the
 * current specs, in the order their records came (per source: partition and offset, or line), with
 * the stale guards and tombstones as they are now. A letter that applies is removed; one that
 * fails again keeps its letter with the new reason and one more attempt.
 */
export async function retryCommand(
  dir: string,
  o: LetterOptions & { dryRun?: boolean; batchSize: string },
): Promise<number> {
  const compiled = loadCompiled(dir);
  const flags = letterFilter(o);
  const batchSize = intOption("--batch-size", o.batchSize, 1);
  const sink = await openSink(mysqlUrl(o.mysqlUrl));
  const stats = new Stats();
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await ensureSchema(sink, compiled);
    await checkVersions(sink, compiled.spec, { command: "projector dead-letters retry" });
    // Letters recorded once the retry began (a run going on) wait for the next retry.
    const [last = []] = await sink.select([maxLetterIdStatement()]);
    const filter: LetterFilter = { ...flags, maxId: String(last[0]?.m ?? 0) };
    const select = async (f: LetterFilter) => (await sink.select([countLettersStatement(f)]))[0] ?? [];
    const before = await countsOf(select, filter);
    const notRetried = before.total - before.retriable;
    let cursor: LetterCursor | undefined;
    const executor = new Executor(compiled, sink, {
      stats,
      retry: true,
      scope: RETRY_SCOPE,
      // A letter of a type no spec declares stays one (it was dead-lettered so), unless a spec declares it now.
      deadLetterUnknown: true,
      maxRetries: 12,
      signal: controller.signal,
      onRetry: (e, attempt, delay) =>
        log.warn("MySQL cannot take the retry's batch; retrying", {
          attempt,
          delay_ms: delay,
          error: e.message,
        }),
    });
    const wouldFail = new Map<string, number>();
    let seen = 0;
    const tty = process.stderr.isTTY && !o.json;
    while (!controller.signal.aborted) {
      const [rows = []] = await sink.select([selectLettersToRetryStatement(filter, cursor, batchSize)]);
      if (rows.length === 0) break;
      const l = rows[rows.length - 1]!;
      cursor = {
        source: String(l.source),
        partition: Number(l.partition_id),
        seq: String(l.seq),
        id: String(l.id),
      };
      const records = rows.map(recordOf);
      seen += records.length;
      if (o.dryRun) {
        // What the current specs make of each letter: mapped cleanly, or which reason it fails with.
        for (const rec of records) {
          const p = prepareRecord(compiled, rec, true);
          if (p.kind === "dead") wouldFail.set(p.letter.reason, (wouldFail.get(p.letter.reason) ?? 0) + 1);
        }
      } else if (records.length > 0) {
        // In pieces of at most MAX_BATCH_VALUES values of rows (prepare.ts), as run and replay do.
        const pieces = new Pieces((r) => executor.prepare(r), records);
        while (!pieces.done) await executor.applyPrepared(pieces.next());
      }
      if (tty) process.stderr.write(`\r${seen} of ${before.retriable} letters retried   `);
      if (rows.length < batchSize) break;
    }
    if (tty) process.stderr.write("\n");
    if (o.dryRun) return report(o.json, dryRunSummary(before, seen, notRetried, wouldFail));
    const after = await countsOf(select, flags);
    const s = stats.summary();
    const summary = {
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
      stopped: controller.signal.aborted,
    };
    return report(o.json, summary);
  } catch (e) {
    if (e instanceof ExecutorStopped) throw new UserError(`retry stopped: ${e.message}`, 2);
    throw e;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
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

function report(json: boolean | undefined, summary: Record<string, unknown>): number {
  if (json) {
    process.stdout.write(`${jsonText(summary)}\n`);
    return 0;
  }
  const lines: string[] = [];
  if (summary.dry_run) {
    lines.push(`would retry    ${summary.would_retry} letter(s) (nothing written: --dry-run)`);
    for (const [k, n] of Object.entries(summary.by_event_type as Record<string, number>))
      lines.push(`  ${forTerminal(k).padEnd(40)} ${n}`);
    const failing = Object.entries(summary.still_failing_to_map as Record<string, number>);
    if (failing.length > 0) {
      lines.push("still failing under the current specs (before MySQL is asked):");
      for (const [reason, n] of failing) lines.push(`  ${String(n).padStart(6)}  ${forTerminal(reason)}`);
    }
    lines.push(`not retriable  ${summary.not_retried} (payload not whole, or no event in it)`);
  } else {
    lines.push(
      `retried        ${summary.retried}`,
      `resolved       ${summary.resolved} (applied, stale or filtered now: their letters are removed)`,
      `failed again   ${summary.failed_again}`,
      `unmatched      ${summary.unmatched_again} (applied, but an update still finds no row: kept)`,
      `not retriable  ${summary.not_retried} (payload not whole, or no event in it)`,
      `letters left   ${summary.letters_left} matching the filter`,
      `time           ${summary.seconds} s`,
    );
    if (summary.stopped) lines.push("stopped by a signal: run retry again to go on");
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** Asks on the terminal; false unless the answer is yes. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** `projector dead-letters purge`: deletes the matching letters; asks first on a terminal, else needs --yes. */
export async function purgeCommand(o: LetterOptions & { yes?: boolean; dryRun?: boolean }): Promise<number> {
  const sink = await openSink(mysqlUrl(o.mysqlUrl));
  try {
    // Letters recorded once the purge began (a run going on) are not what was confirmed: they stay.
    const [last = []] = await sink.select([maxLetterIdStatement()]);
    const filter: LetterFilter = { ...letterFilter(o), maxId: String(last[0]?.m ?? 0) };
    const [counts = []] = await sink.select([countLettersStatement(filter)]);
    const total = counts.reduce((n, r) => n + Number(r.n), 0);
    if (total === 0 || o.dryRun) {
      if (o.json)
        process.stdout.write(
          `${JSON.stringify({ matching: total, purged: 0, dry_run: Boolean(o.dryRun) })}\n`,
        );
      else
        process.stdout.write(
          total === 0 ? "no dead letters match\n" : `would purge ${total} letter(s) (--dry-run)\n`,
        );
      return 0;
    }
    if (!o.yes) {
      if (!process.stdin.isTTY)
        throw new UserError(
          `purge would delete ${total} dead letter(s): pass --yes to confirm (no terminal to ask on)`,
        );
      if (!(await confirm(`Delete ${total} dead letter(s)? This cannot be undone. [y/N] `))) {
        process.stderr.write("nothing deleted\n");
        return 1;
      }
    }
    // In steps of 1000, each deleted with its counts in one transaction (a retry may remove some meanwhile).
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
      if (n === 0) break;
      purged += n;
    }
    if (o.json) process.stdout.write(`${JSON.stringify({ matching: total, purged })}\n`);
    else process.stdout.write(`purged ${purged} letter(s)\n`);
    return 0;
  } finally {
    await sink.close();
  }
}
