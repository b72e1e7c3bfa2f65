import { DEAD_LETTERS } from "../compile/engine-tables.js";
import { placeholders, quoteId } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";

/**
 * A dead letter's reason class: a bounded name for what went wrong, read from the shape of its
 * reason (the reasons themselves quote values, so they are not labels). Each pattern matches a whole
 * reason, `*` standing for any text; the first that matches names the class. A reason none matches
 * is a mapping error (a value that does not fit its column, a transform's error).
 */
export const REASON_CLASSES: readonly (readonly [cls: string, pattern: string])[] = [
  ["unmatched", "unmatched: *"],
  ["database", "rejected by MySQL*"],
  ["unique_key", "*: unique key (* already belongs to row *"],
  ["tombstone", "Kafka tombstone*"],
  ["oversize", "record of * bytes is larger than the maximum record size*"],
  ["encoding", "payload is not valid UTF-8*"],
  ["json", "undecodable JSON*"],
  ["json", "JSON nested deeper*"],
  ["envelope", "envelope *"],
  ["unknown_type", "unknown event type*"],
];

/** The class of reasons no pattern of REASON_CLASSES matches. */
export const MAPPING_CLASS = "mapping";

const regexes = REASON_CLASSES.map(
  ([cls, pattern]) =>
    [
      cls,
      new RegExp(
        `^${pattern
          .split("*")
          .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join("[\\s\\S]*")}$`,
      ),
    ] as const,
);

/** The class of one reason (as the statement below computes it in MySQL). */
export function reasonClass(reason: string): string {
  for (const [cls, re] of regexes) if (re.test(reason)) return cls;
  return MAPPING_CLASS;
}

/** The LIKE pattern of a REASON_CLASSES pattern (its text escaped, `*` as `%`). */
function likePattern(pattern: string): string {
  return pattern
    .split("*")
    .map((p) => p.replace(/[\\%_]/g, (c) => `\\${c}`))
    .join("%");
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
      ...REASON_CLASSES.flatMap(([cls, pattern]) => [likePattern(pattern), cls]),
      MAPPING_CLASS,
    ],
  };
}
