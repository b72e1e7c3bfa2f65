import { DEAD_LETTERS } from "./engine-tables.js";
import { placeholders, quoteId } from "./sql.js";
import type { Statement } from "./statements.js";

/**
 * A dead letter's reason class: a bounded name for what went wrong, read from how its reason starts
 * (the reasons themselves quote values, so they are not labels). In order: the first that matches.
 * A reason no prefix names is a mapping error (a value that does not fit its column, a transform).
 */
export const REASON_CLASSES: readonly (readonly [cls: string, prefix: string])[] = [
  ["unmatched", "unmatched: "],
  ["database", "rejected by MySQL"],
  ["tombstone", "Kafka tombstone"],
  ["oversize", "record of "],
  ["encoding", "payload is not valid UTF-8"],
  ["json", "undecodable JSON"],
  ["json", "JSON nested deeper"],
  ["envelope", "envelope "],
  ["unknown_type", "unknown event type"],
];

/** The class of reasons no prefix of REASON_CLASSES names. */
export const MAPPING_CLASS = "mapping";

/** The class of one reason (as the statement below computes it in MySQL). */
export function reasonClass(reason: string): string {
  for (const [cls, prefix] of REASON_CLASSES) if (reason.startsWith(prefix)) return cls;
  return MAPPING_CLASS;
}

/** A LIKE pattern matching what starts with `prefix`. */
function startsWith(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The dead letters now, by kind, event type and reason class, with label values from a bounded set:
 * a type the specs declare (`declared`) as it is, any other as `(unknown)`, none (undecodable) as
 * NULL. Ten thousand made-up types are one row, not ten thousand.
 */
export function lettersByClassStatement(declared: readonly string[]): Statement {
  const cases = REASON_CLASSES.map(() => "WHEN reason LIKE ? THEN ?").join(" ");
  const known =
    declared.length > 0 ? `WHEN event_type IN ${placeholders(declared.length)} THEN event_type ` : "";
  return {
    sql:
      `SELECT kind, CASE WHEN event_type IS NULL THEN NULL ${known}ELSE '(unknown)' END AS event_type, ` +
      `CASE ${cases} ELSE ? END AS reason_class, COUNT(*) n FROM ${quoteId(DEAD_LETTERS)} ` +
      "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    params: [
      ...declared,
      ...REASON_CLASSES.flatMap(([cls, prefix]) => [startsWith(prefix), cls]),
      MAPPING_CLASS,
    ],
  };
}
