// The JSON summary `run` and `replay` print last on stdout, and its outcome counters.
import type { CliResult } from "./cli.js";

export interface Summary {
  read: number;
  applied: number;
  stale: number;
  skipped: number;
  dead_lettered: number;
  unmatched: number;
  /** Waiting letters applied when their rows came (absent when none). */
  healed?: number;
  batches: number;
  batches_planned_ahead: number;
  retries: number;
  mysql_warnings: number;
  /** Secondary indexes built after a bulk load (absent when none was deferred). */
  indexes_built_after_load?: { built: number; seconds: number };
  rows_by_table: Record<string, number>;
}

/** The summary `run --json` / `run --until-caught-up --json` / `replay --json` prints last on stdout. */
export function summaryOf(r: CliResult): Summary {
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`no JSON summary on stdout (exit ${r.status}):\n${r.stdout}\n${r.stderr.slice(-3000)}`);
  }
}

/** The outcome counters of a summary (replay and run print the same shape). */
export function outcomes(s: Summary): Record<string, number> {
  const { read, applied, stale, skipped, dead_lettered, unmatched } = s;
  return { read, applied, stale, skipped, dead_lettered, unmatched };
}
