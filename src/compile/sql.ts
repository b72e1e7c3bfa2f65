/**
 * SQL text building. Every identifier goes through quoteId (the only place that quotes); every value
 * is a `?` parameter bound by the driver. Where MySQL 8 and MariaDB differ, the dialect decides:
 * the incoming row of `INSERT … ON DUPLICATE KEY UPDATE` is `VALUES(col)` on MariaDB (which has no
 * row alias) and the row alias `AS projector_new … projector_new.col` on MySQL (8.0.19+; `VALUES()`
 * there is deprecated since 8.0.20, a warning on every use); a shared row lock is `LOCK IN SHARE
 * MODE` on MariaDB (which refuses `FOR SHARE`) and `FOR SHARE` on MySQL (which prefers it).
 */

/** The SQL dialects projector writes: where MariaDB and MySQL 8 differ, statements follow the server. */
export type Dialect = "mariadb" | "mysql";
export const DIALECTS: readonly Dialect[] = ["mariadb", "mysql"];

/** The incoming row's name on MySQL (`projector_*` names are the engine's: no table takes it). */
const NEW = "`projector_new`";

/**
 * The parts of `INSERT … ON DUPLICATE KEY UPDATE` that differ by dialect, for one table: the clause
 * after the VALUES list, the incoming value of a column and the row's current one. With MySQL's row
 * alias an unqualified column is ambiguous (the alias has every column of the table): the current
 * value is qualified with the table's name there.
 */
export interface OnDuplicate {
  /** ` ON DUPLICATE KEY UPDATE ` with the row alias before it where the dialect has one. */
  readonly clause: string;
  /** The incoming value of a (quoted) column. */
  incoming(quoted: string): string;
  /** The row's current value of a (quoted) column. */
  current(quoted: string): string;
}

export function onDuplicate(dialect: Dialect, tableQuoted: string): OnDuplicate {
  return dialect === "mysql"
    ? {
        clause: ` AS ${NEW} ON DUPLICATE KEY UPDATE `,
        incoming: (c) => `${NEW}.${c}`,
        current: (c) => `${tableQuoted}.${c}`,
      }
    : { clause: " ON DUPLICATE KEY UPDATE ", incoming: (c) => `VALUES(${c})`, current: (c) => c };
}

/** A shared lock on the rows a SELECT reads. */
export function forShare(dialect: Dialect): string {
  return dialect === "mysql" ? "FOR SHARE" : "LOCK IN SHARE MODE";
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Quotes a validated identifier with backticks; throws on anything else (a bug, specs are validated). */
export function quoteId(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`unsafe SQL identifier ${JSON.stringify(name)}`);
  return `\`${name}\``;
}

export function placeholders(n: number): string {
  return n === 1 ? "(?)" : `(${"?,".repeat(n - 1)}?)`;
}

/** `IF(<newer>, VALUES(c), c)` condition: the incoming guard is not older than the row's (NULL row guard: write). */
export function guardCondition(d: OnDuplicate, guardQuoted: string): string {
  const row = d.current(guardQuoted);
  return `${row} IS NULL OR ${d.incoming(guardQuoted)} >= ${row}`;
}

/** WHERE suffix for single-row statements: the row's guard is not newer than the event's. */
export function guardWhere(guardQuoted: string): string {
  return ` AND (${guardQuoted} IS NULL OR ${guardQuoted} <= ?)`;
}

/**
 * A column's new value combined from its current one and the incoming value (`combine:`): a count
 * starts from 0 (a NULL counts as 0), a mark from the incoming value. Subtracting is adding the
 * opposite (the mapping negated the value).
 */
export function combinedValue(
  how: "add" | "subtract" | "max" | "min",
  current: string,
  incoming: string,
): string {
  switch (how) {
    case "add":
    case "subtract":
      return `COALESCE(${current}, 0) + ${incoming}`;
    case "max":
      return `GREATEST(COALESCE(${current}, ${incoming}), ${incoming})`;
    case "min":
      return `LEAST(COALESCE(${current}, ${incoming}), ${incoming})`;
  }
}

/** Repeats a row template `n` times: `(?,?),(?,?)`. */
export function rowsOf(template: string, n: number): string {
  if (n === 1) return template;
  return `${template},`.repeat(n - 1) + template;
}
