import { type ChildOptions, type ChildResult, type Children, failure } from "./children.js";
import { round } from "./numbers.js";
import { CLI } from "./paths.js";

/** The JSON summary `replay --json` and `run --json` print (src/run/stats.ts), the fields the bench reads. */
export interface RunSummary {
  readonly read: number;
  readonly stale: number;
  readonly skipped: number;
  readonly dead_lettered: number;
  readonly seconds: number;
  readonly events_per_second: number;
  readonly rows_per_second: number;
  readonly max_rss_mb: number;
  readonly rows_by_table?: Readonly<Record<string, number>>;
  readonly [field: string]: unknown;
}

/** A CLI child's result, and its JSON summary if it printed one. */
export interface ProjectorResult extends ChildResult {
  readonly summary: RunSummary | undefined;
}

/**
 * Runs `projector <args>` (bin/projector.js); a non-zero exit throws with the log's tail, unless
 * `allowSignal` and the child was stopped with SIGTERM (the latency stage stops its run so).
 */
export async function projector(
  children: Children,
  args: readonly string[],
  options: ChildOptions & { readonly allowSignal?: boolean },
): Promise<ProjectorResult> {
  const r = await children.run([CLI, ...args], options);
  if (r.code !== 0 && !(options.allowSignal && r.signal === "SIGTERM"))
    throw failure(`projector ${args[0]}`, r);
  const json = r.stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  return { ...r, summary: json ? (JSON.parse(json) as RunSummary) : undefined };
}

/** Every row a run wrote, over all tables. */
export function totalRows(summary: RunSummary): number {
  return Object.values(summary.rows_by_table ?? {}).reduce((a, b) => a + b, 0);
}

/** The figures of a `replay`/`run --json` child: its summary, and its wall clock beside it. */
export interface SummaryFigures {
  readonly events: number;
  readonly rows: number;
  readonly events_per_second: number;
  readonly rows_per_second: number;
  readonly max_rss_mb: number;
  readonly seconds: number;
  readonly wall_seconds: number;
  readonly wall_events_per_second: number;
  readonly wall_rows_per_second: number;
  readonly summary: RunSummary;
}

/** The figures of a `replay`/`run --json` child; throws when it printed no summary. */
export function summaryFigures(r: ProjectorResult, what: string): SummaryFigures {
  const s = r.summary;
  if (!s) throw new Error(`${what} printed no JSON summary`);
  const rows = totalRows(s);
  return {
    events: s.read,
    rows,
    events_per_second: s.events_per_second,
    rows_per_second: s.rows_per_second,
    max_rss_mb: s.max_rss_mb,
    seconds: s.seconds,
    wall_seconds: round(r.seconds, 3),
    wall_events_per_second: Math.round(s.read / r.seconds),
    wall_rows_per_second: Math.round(rows / r.seconds),
    summary: s,
  };
}
