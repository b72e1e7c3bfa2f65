import { createInterface } from "node:readline/promises";
import { forTerminal, jsonText } from "../../core/terminal.js";
import { UserError } from "../../core/user-error.js";
import { mysqlUrl } from "../../jobs/database.js";
import {
  type Letter,
  LetterBox,
  type LetterFlags,
  letterFilter,
  retryLetters,
} from "../../jobs/dead-letters.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { intOption } from "../errors.js";

/** The filters every `dead-letters` subcommand takes, and its output. */
export interface LetterOptions extends LetterFlags {
  mysqlUrl?: string;
  json?: boolean;
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

function listRow(l: Letter): string[] {
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
  const box = await LetterBox.open(mysqlUrl(o.mysqlUrl));
  try {
    const letters: Letter[] = [];
    let first = true;
    let printed = 0;
    if (o.json) process.stdout.write("[");
    for await (const page of box.pages(filter, limit)) {
      for (const l of page) {
        if (o.json) {
          process.stdout.write(`${first ? "" : ","}\n${jsonText(l)}`);
          first = false;
        } else letters.push(l);
      }
      printed += page.length;
      if (!o.json && letters.length >= 5000) {
        printTable(LIST_HEADER, letters.map(listRow));
        letters.length = 0;
      }
    }
    if (o.json) {
      process.stdout.write(first ? "]\n" : "\n]\n");
      return 0;
    }
    const total = await box.total(filter);
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
    await box.close();
  }
}

/** `projector dead-letters show <id>`: one letter, with its raw payload and record key. */
export async function showCommand(id: string, o: { mysqlUrl?: string; json?: boolean }): Promise<number> {
  letterFilter({}, [id]); // the id checked before connecting
  const box = await LetterBox.open(mysqlUrl(o.mysqlUrl));
  try {
    const found = await box.show(id);
    if (!found) throw new UserError(`no dead letter with id ${id} (projector dead-letters list shows them)`);
    const { payload, recordKey: key, ...l } = found;
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
    await box.close();
  }
}

/**
 * `projector dead-letters retry`: the matching letters go through the runtime again with the
 * current specs (jobs/dead-letters.ts says how); prints what came of them.
 */
export async function retryCommand(
  dir: string,
  o: LetterOptions & { dryRun?: boolean; batchSize: string },
): Promise<number> {
  const compiled = loadCompiled(dir);
  const filter = letterFilter(o);
  const batchSize = intOption("--batch-size", o.batchSize, 1);
  const tty = process.stderr.isTTY && !o.json;
  const summary = await retryLetters(compiled, {
    mysqlUrl: mysqlUrl(o.mysqlUrl),
    filter,
    batchSize,
    dryRun: o.dryRun ?? false,
    progress: (seen, retriable) => {
      if (tty) process.stderr.write(`\r${seen} of ${retriable} letters retried   `);
    },
  });
  if (tty) process.stderr.write("\n");
  return report(o.json, summary);
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
  const box = await LetterBox.open(mysqlUrl(o.mysqlUrl));
  try {
    const { filter, total } = await box.purgeable(letterFilter(o));
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
    const purged = await box.purge(filter);
    if (o.json) process.stdout.write(`${JSON.stringify({ matching: total, purged })}\n`);
    else process.stdout.write(`purged ${purged} letter(s)\n`);
    return 0;
  } finally {
    await box.close();
  }
}
