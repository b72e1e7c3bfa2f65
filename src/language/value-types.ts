import type { ColumnType, Scalar } from "./column-type.js";

/**
 * The static type of a value: what validate knows before any event arrives. A path is `any` (the
 * event decides, and the column's coercion checks it), or a `list` when its form selects several
 * values (`$.data.lines[*].amount`); a constant has its own; every transform has one, and validate
 * checks it against the column it writes.
 */
export type ValueType =
  | "any"
  | "null"
  | "string"
  | "integer"
  | "decimal"
  | "boolean"
  | "date"
  | "datetime"
  | "list";

/** Why a list cannot go where one value does, and what to write instead. */
export const LIST_HINT =
  "a [*] path selects several values: aggregate them ({ sum: … }, count, min, max) or write them to a json column";

/** The static type of a constant. */
export function constType(v: Scalar): ValueType {
  if (v === null) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "decimal";
  return "string";
}

/** "a varchar", "an int". */
function a(name: string): string {
  return `${/^[aeiou]/.test(name) ? "an" : "a"} ${name}`;
}

/** Why a value of type `t` cannot be written to a column of type `col`, or undefined when it can. */
export function assignError(t: ValueType, col: ColumnType): string | undefined {
  if (t === "any" || t === "null" || col.name === "json") return undefined;
  const text =
    col.name === "varchar" || col.name === "char" || col.name === "text" || col.name === "mediumtext";
  const ints =
    col.name === "tinyint" || col.name === "smallint" || col.name === "int" || col.name === "bigint";
  switch (t) {
    case "list":
      return `several values cannot be written to ${a(col.name)} column: ${LIST_HINT}`;
    case "string":
      return text ||
        col.name === "enum" ||
        col.name === "date" ||
        col.name === "datetime" ||
        col.name === "decimal"
        ? undefined
        : `text cannot be written to ${a(col.name)} column`;
    case "integer":
      return ints || text || col.name === "decimal" || col.name === "double" || col.name === "boolean"
        ? undefined
        : `an integer cannot be written to ${a(col.name)} column`;
    case "decimal":
      if (ints)
        return "a decimal result cannot be written to an integer column: round it, { round: …, scale: 0 }";
      return text || col.name === "decimal" || col.name === "double"
        ? undefined
        : `a decimal cannot be written to ${a(col.name)} column`;
    case "boolean":
      return col.name === "boolean" || ints
        ? undefined
        : `a boolean cannot be written to ${a(col.name)} column`;
    case "date":
      return col.name === "date" || col.name === "datetime" || text
        ? undefined
        : `a date cannot be written to ${a(col.name)} column`;
    case "datetime":
      if (col.name === "date")
        return "a datetime cannot be written to a date column: take its date, { date: … }";
      return col.name === "datetime" || text
        ? undefined
        : `a datetime cannot be written to ${a(col.name)} column`;
  }
}
