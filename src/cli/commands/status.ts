import { forTerminal, jsonText } from "../../core/terminal.js";
import { UserError } from "../../core/user-error.js";
import { mysqlUrl } from "../../jobs/database.js";
import { PURGE_SCOPE, RETRY_SCOPE } from "../../jobs/dead-letters.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { readStatus, StatusWatch } from "../../jobs/status.js";
import { rebuildHint } from "../../jobs/versions.js";
import { watchStatus } from "../status-watch.js";

/** The shortest --interval of --watch, in seconds. */
const MIN_INTERVAL = 0.2;

/** `--interval`: seconds, at least MIN_INTERVAL. */
export function intervalOption(raw: string | undefined): number {
  const n = Number(raw ?? "2");
  if (raw?.trim() === "" || !Number.isFinite(n) || n < MIN_INTERVAL)
    throw new UserError(
      `--interval must be a number of seconds, at least ${MIN_INTERVAL}, got ${JSON.stringify(raw)}`,
    );
  return n;
}

/**
 * `projector status [--json] [--watch [--interval S]]`: lag from MySQL's offsets against the
 * broker's high watermarks, dead letters, rows; with --watch, a live view until Ctrl-C.
 */
export async function statusCommand(
  dir: string,
  opts: {
    mysqlUrl?: string;
    brokers?: string;
    group?: string;
    json?: boolean;
    watch?: boolean;
    interval?: string;
  },
): Promise<number> {
  const interval = opts.watch ? intervalOption(opts.interval) : 0;
  if (opts.watch && opts.json)
    throw new UserError(
      "--watch draws a view for a person: for a program, run projector status --json at the pace it needs, or scrape run --metrics-port",
    );
  const compiled = loadCompiled(dir);
  const job = {
    mysqlUrl: mysqlUrl(opts.mysqlUrl),
    ...(opts.brokers ? { brokers: opts.brokers } : {}),
    ...(opts.group ? { group: opts.group } : {}),
  };
  if (opts.watch) return await watchStatus(await StatusWatch.open(compiled, job), interval);
  const { status, states, exitCode } = await readStatus(compiled, job);
  const { partitions, dead_letters: deadLetters, unmatched_letters: unmatchedLetters } = status;
  const { dialect, key_collation: keyCollation, total_lag: totalLag, tombstones, rows } = status;
  const letterReasons = status.dead_letter_reasons;
  const counters = status.events;
  const generation = status.specs_generation;
  if (opts.json) {
    process.stdout.write(`${jsonText(status)}\n`);
  } else {
    const w = Math.max(16, ...partitions.map((p) => forTerminal(p.topic).length));
    const out = [
      `group ${forTerminal(status.group)} on database ${forTerminal(status.database)}`,
      `dialect: ${dialect ?? "not migrated yet"}${keyCollation ? ` (key columns compare with ${keyCollation})` : ""}`,
      `total lag: ${totalLag ?? "unknown (Kafka unreachable)"} events`,
      `${"topic".padEnd(w)} partition  next offset  high watermark  lag`,
    ];
    for (const p of partitions) {
      out.push(
        `${forTerminal(p.topic).padEnd(w)} ${String(p.partition).padStart(9)}  ${String(p.next_offset ?? "-").padStart(11)}  ${String(p.high_watermark ?? "?").padStart(14)}  ${p.lag ?? "?"}`,
      );
    }
    out.push(
      `dead letters: ${deadLetters ?? "no table yet (run projector migrate)"} failed, ${unmatchedLetters ?? 0} waiting for their rows (unmatched, healed when the row arrives; projector dead-letters list)`,
      ...letterReasons.map(
        (r) =>
          `  ${String(r.letters).padStart(7)}  ${forTerminal(r.kind).padEnd(9)} ${forTerminal(r.event_type ?? "(undecodable)").padEnd(28)} ${forTerminal(r.reason.replace(/\s+/g, " ").slice(0, 160))}`,
      ),
      `tombstones (hard-deleted rows kept out): ${tombstones ?? "no table yet"}`,
    );
    const columns = [
      "applied",
      "stale",
      "filtered",
      "filtered_actions",
      "dead_lettered",
      "unmatched_kept",
      "missing_skipped",
      "skipped",
      // Shown once a redelivery met a counter (combine: add/subtract).
      ...(Object.values(counters).some((byType) =>
        Object.values(byType).some((c) => (c.already_counted ?? 0) > 0),
      )
        ? ["already_counted"]
        : []),
      // Shown once a waiting letter healed (its row arrived).
      ...(Object.values(counters).some((byType) => Object.values(byType).some((c) => (c.healed ?? 0) > 0))
        ? ["healed"]
        : []),
    ];
    for (const [scope, byType] of Object.entries(counters)) {
      const title =
        scope === "replay"
          ? "events replayed from files"
          : scope === RETRY_SCOPE
            ? "dead letters retried"
            : scope === PURGE_SCOPE
              ? "dead letters purged"
              : `events of group ${scope}`;
      out.push(`${title}:`);
      const shown = scope === PURGE_SCOPE ? ["purged"] : columns;
      const w2 = Math.max(24, ...Object.keys(byType).map((t) => forTerminal(t).length));
      out.push(
        `  ${"event type".padEnd(w2)} ${shown.map((c) => c.padStart(Math.max(c.length, 8))).join(" ")}`,
      );
      for (const [type, c] of Object.entries(byType))
        out.push(
          `  ${forTerminal(type).padEnd(w2)} ${shown.map((k) => String(c[k] ?? 0).padStart(Math.max(k.length, 8))).join(" ")}`,
        );
    }
    out.push("rows per table (and their rows against the specs on disk):");
    const stateOf = new Map(states.map((v) => [v.table, v]));
    for (const [t, n] of Object.entries(rows)) {
      const v = stateOf.get(t);
      const note =
        v?.state === "rebuild"
          ? `needs a rebuild: ${v.reasons.join("; ")}`
          : v?.state === "additive"
            ? `migrate is enough: ${v.reasons.join("; ")}`
            : (v?.state ?? "no version recorded");
      out.push(`  ${forTerminal(t).padEnd(24)} ${String(n ?? "missing").padStart(9)}  ${forTerminal(note)}`);
    }
    if (status.needs_rebuild.length > 0)
      out.push(`to rebuild them while live runs go on: ${forTerminal(rebuildHint(states))}`);
    if (status.rebuilds.length > 0) out.push(`rebuilds (specs generation ${generation ?? "0"}):`);
    for (const r of status.rebuilds)
      out.push(
        `  ${forTerminal(r.tables.join(", "))}: ${forTerminal(r.phase)}, ${r.applied} events applied${r.behind !== null ? `, ${r.behind} behind the live tables` : ""} (started ${r.started_at}, updated ${r.updated_at})`,
      );
    // Reasons, types and topics are data: each line's control characters escaped.
    process.stdout.write(`${out.map((l) => forTerminal(l)).join("\n")}\n`);
  }
  // What MySQL said is printed; a broker that could not be asked is still a failure (exit 2, or 1 for refused credentials).
  return exitCode;
}
