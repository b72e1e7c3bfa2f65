import type { Dialect } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";
import { addCountersStatement } from "../store/counters.js";
import { OUTCOMES, type TypeCounts } from "./stats.js";

/**
 * A batch's outcomes as rows of projector_counters (`scope` is the consumer group, or "replay"):
 * added in the batch's transaction, so `status` counts exactly what was committed.
 */
export function countersStatements(
  scope: string,
  outcomes: ReadonlyMap<string, TypeCounts>,
  dialect: Dialect,
): Statement[] {
  const rows: [string, string, string, number][] = [];
  for (const [type, c] of outcomes)
    for (const k of OUTCOMES) if (c[k] > 0) rows.push([scope, type, OUTCOME_NAMES[k], c[k]]);
  return rows.length > 0 ? [addCountersStatement(rows, dialect)] : [];
}

/** How an outcome is named in projector_counters, status and the metrics. */
export const OUTCOME_NAMES: Record<(typeof OUTCOMES)[number], string> = {
  applied: "applied",
  stale: "stale",
  skipped: "skipped",
  deadLettered: "dead_lettered",
  filtered: "filtered",
  filteredActions: "filtered_actions",
  unmatchedKept: "unmatched_kept",
  missingSkipped: "missing_skipped",
  alreadyCounted: "already_counted",
  healed: "healed",
};
