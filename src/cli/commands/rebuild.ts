import { forTerminal } from "../../core/terminal.js";
import { UserError } from "../../core/user-error.js";
import { mysqlUrl } from "../../jobs/database.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { type RebuildDone, type RebuildDryRun, rebuild } from "../../jobs/rebuild.js";
import { bytesOption, intOption } from "../errors.js";

export interface RebuildOptions {
  mysqlUrl?: string;
  brokers?: string;
  group?: string;
  dryRun?: boolean;
  dropOld?: boolean;
  from?: string;
  batchSize: string;
  maxRecordBytes: string;
  json?: boolean;
}

/**
 * `projector rebuild <table…>`: builds the tables (and their children) again with the specs on disk
 * into shadow tables while a live run keeps the tables current, then swaps them in
 * (jobs/rebuild.ts and jobs/rebuild-phases.ts say how); prints what it did or, with --dry-run, would do.
 */
export async function rebuildCommand(dir: string, named: string[], opts: RebuildOptions): Promise<number> {
  if (opts.from !== undefined && opts.from.trim() === "")
    throw new UserError(
      "--from needs a JSONL file (or - for stdin); without --from, rebuild reads the topics",
    );
  const compiled = loadCompiled(dir);
  const batchSize = intOption("--batch-size", opts.batchSize, 1);
  const maxRecordBytes = bytesOption("--max-record-bytes", opts.maxRecordBytes, 1024);
  const tty = process.stderr.isTTY && !opts.json;
  const outcome = await rebuild(compiled, named, {
    mysqlUrl: mysqlUrl(opts.mysqlUrl),
    ...(opts.brokers ? { brokers: opts.brokers } : {}),
    ...(opts.group ? { group: opts.group } : {}),
    dryRun: opts.dryRun ?? false,
    dropOld: opts.dropOld ?? false,
    ...(opts.from !== undefined ? { from: opts.from } : {}),
    batchSize,
    maxRecordBytes,
    ...(tty
      ? {
          progress: (p) => {
            const eta =
              p.behind !== null && p.eventsPerSecond > 0
                ? `, ETA ${Math.ceil(Number(p.behind) / p.eventsPerSecond)} s`
                : "";
            process.stderr.write(
              `\r${p.phase}: ${p.applied} events applied${p.behind !== null ? `, ${p.behind} behind the live tables` : ""}, ${p.eventsPerSecond} events/s${eta}   `,
            );
          },
        }
      : {}),
  });
  if (outcome.kind === "dry-run") printDryRun(outcome, opts);
  else printDone(outcome, opts);
  return 0;
}

function printDone(done: RebuildDone, opts: RebuildOptions): void {
  const { kind: _, ...summary } = done;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  process.stdout.write(
    `${[
      `rebuilt ${done.rebuilt.join(", ")}: ${done.events} events read, ${done.applied} applied, ${done.dead_lettered} dead-lettered${done.healed ? ` (${done.healed} early events healed when their rows came)` : ""}, in ${done.seconds} s`,
      opts.dropOld
        ? "the old tables were dropped (--drop-old)"
        : `the old tables are kept as ${done.old_tables.join(", ")} until --drop-old or the next rebuild; to swap them back: ${done.swap_back}`,
      "live runs of the group stop (exit 3) and, restarted, go on with the specs on disk",
    ].join("\n")}\n`,
  );
}

function printDryRun(d: RebuildDryRun, opts: RebuildOptions): void {
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ dry_run: true, tables: d.tables, source: d.source, previous: d.previous })}\n`,
    );
    return;
  }
  const lines = [`would rebuild ${d.tables.map((t) => t.table).join(", ")} (nothing written: --dry-run)`];
  for (const t of d.tables) {
    const why =
      t.state === "rebuild"
        ? `needs a rebuild: ${t.reasons.join("; ")}`
        : t.state === "additive"
          ? `migrate is enough: ${t.reasons.join("; ")}`
          : t.state;
    lines.push(`  ${t.table.padEnd(24)} ${why}`);
  }
  lines.push(
    `from ${typeof d.source === "string" ? `the file ${d.source}` : `the topics ${d.source.join(", ")}, earliest offsets up to the live group's`}, into ${d.tables.map((t) => t.shadow).join(", ")}`,
  );
  if (d.previous) lines.push(`a rebuild of these tables was recorded before: ${d.previous}`);
  process.stdout.write(`${lines.map((l) => forTerminal(l)).join("\n")}\n`);
}
