import type { ColumnType } from "../specs/types.js";
import type { AggregateColumn, CompiledTable } from "./compile.js";
import { keyCollation } from "./ddl.js";
import { type Dialect, quoteId } from "./sql.js";
import type { Statement } from "./statements.js";

/** The range of an aggregate column's values, as SQL number text (lowest, highest). */
export function rangeOf(type: ColumnType): [string, string] {
  if (type.name === "decimal") {
    const max = `${"9".repeat(type.precision - type.scale)}${type.scale > 0 ? `.${"9".repeat(type.scale)}` : ""}`;
    return [`-${max}`, max];
  }
  const [lo, hi] = INT_RANGES[type.name] ?? INT_RANGES.bigint!;
  return [String(lo), String(hi)];
}

/** Ranges of MySQL's integer types (signed). */
export const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  tinyint: [-128n, 127n],
  smallint: [-32768n, 32767n],
  int: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
};

/**
 * Recomputes the aggregate columns of the parent rows with these primary keys from their child
 * rows as they are now: `UPDATE p AS t SET t.c = (SELECT COUNT(*) FROM child AS a WHERE a.fk =
 * t.pk …)`. Text constants compare exactly (the key collation), as the reference compares them.
 */
export function aggregateStatement(
  parent: CompiledTable,
  columns: readonly AggregateColumn[],
  keys: readonly (readonly unknown[])[],
  dialect: Dialect,
): Statement {
  const params: unknown[] = [];
  const sets = columns.map((c) => {
    const fk = c.child.spec.parent!.columns;
    const join = fk.map((col, i) => `a.${quoteId(col)} = t.${quoteId(parent.primaryKey[i]!)}`);
    const filters = c.where.map((w) => {
      const col = `a.${quoteId(w.column)}`;
      if (w.value === null) return `${col} IS NULL`;
      params.push(w.value);
      return w.text ? `${col} COLLATE ${keyCollation(dialect)} = ?` : `${col} = ?`;
    });
    // Rounded to the column's scale (half away from zero, MySQL's rounding of exact numbers) by
    // ROUND itself: an assignment that rounds raises a note.
    const scale = c.type.name === "decimal" ? c.type.scale : 0;
    const sum = `COALESCE(ROUND(SUM(${c.of.map((o) => `a.${quoteId(o)}`).join(" * ")}), ${scale}), 0)`;
    // A sum outside the column's range is NULL (validate made the column nullable); the bounds
    // are numbers made from the column's validated type.
    const [lo, hi] = rangeOf(c.type);
    const what = c.fn === "count" ? "COUNT(*)" : `CASE WHEN ${sum} BETWEEN ${lo} AND ${hi} THEN ${sum} END`;
    return `t.${c.quoted} = (SELECT ${what} FROM ${c.child.quoted} AS a WHERE ${[...join, ...filters].join(" AND ")})`;
  });
  const pk = parent.primaryKey.map((k) => `t.${quoteId(k)}`);
  const one = pk.length === 1 ? "?" : `(${pk.map(() => "?").join(",")})`;
  for (const k of keys) params.push(...k);
  const lhs = pk.length === 1 ? pk[0]! : `(${pk.join(", ")})`;
  return {
    sql: `UPDATE ${parent.quoted} AS t SET ${sets.join(", ")} WHERE ${lhs} IN (${`${one},`.repeat(keys.length - 1)}${one})`,
    params,
  };
}
