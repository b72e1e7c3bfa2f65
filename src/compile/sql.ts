/**
 * SQL text building. Every identifier goes through quoteId (the only place that quotes); every value
 * is a `?` parameter bound by the driver. The shapes work on MySQL 8 and MariaDB 10.11 alike:
 * `VALUES(col)` in ON DUPLICATE KEY UPDATE (MariaDB has no `AS new` row alias).
 */

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
export function guardCondition(guardQuoted: string): string {
  return `${guardQuoted} IS NULL OR VALUES(${guardQuoted}) >= ${guardQuoted}`;
}

/** WHERE suffix for single-row statements: the row's guard is not newer than the event's. */
export function guardWhere(guardQuoted: string): string {
  return ` AND (${guardQuoted} IS NULL OR ${guardQuoted} <= ?)`;
}

/** Repeats a row template `n` times: `(?,?),(?,?)`. */
export function rowsOf(template: string, n: number): string {
  if (n === 1) return template;
  return `${template},`.repeat(n - 1) + template;
}
