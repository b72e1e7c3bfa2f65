import type { ColumnType, Scalar, TransformName, ValueSpec } from "../specs/types.js";

/**
 * The static type of a value: what validate knows before any event arrives. A path is `any` (the
 * event decides, and the column's coercion checks it); a constant has its own; every transform has
 * one, and validate checks it against the column it writes.
 */
export type ValueType = "any" | "null" | "string" | "integer" | "decimal" | "boolean" | "date" | "datetime";

function constType(v: Scalar): ValueType {
  if (v === null) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "decimal";
  return "string";
}

const RESULT: Record<Exclude<TransformName, "map" | "add" | "sub" | "mul">, ValueType> = {
  div: "decimal",
  scale: "decimal",
  round: "decimal",
  upper: "string",
  lower: "string",
  trim: "string",
  concat: "string",
  length: "integer",
  date: "date",
  part: "integer",
  trunc: "datetime",
};

/** The static type of a value. */
export function typeOf(v: ValueSpec): ValueType {
  switch (v.kind) {
    case "const":
      return constType(v.value);
    case "key":
      return "string";
    case "index":
    case "position":
      return "integer";
    case "test":
      return "boolean";
    case "path":
    case "coalesce":
      return "any";
    case "transform": {
      if (v.name === "add" || v.name === "sub" || v.name === "mul")
        return v.args.every((a) => typeOf(a) === "integer") ? "integer" : "decimal";
      // Without decimals, round takes the column's scale (0 for an integer column): the column decides.
      if (v.name === "round")
        return v.options.decimals === undefined ? "any" : v.options.decimals === 0 ? "integer" : "decimal";
      if (v.name === "map") {
        const fallback = v.options.fallback;
        const outputs = [
          ...Object.values(v.options.values ?? {}),
          ...(fallback?.kind === "default" ? [fallback.value] : []),
        ];
        const types = new Set(outputs.filter((o) => o !== null).map(constType));
        if (fallback?.kind === "pass" || types.size !== 1) return "any";
        return [...types][0]!;
      }
      return RESULT[v.name];
    }
  }
}

/** What an argument of a transform must be. */
export function argumentError(name: TransformName, arg: ValueType): string | undefined {
  const numeric = arg === "any" || arg === "integer" || arg === "decimal" || arg === "string";
  switch (name) {
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "scale":
    case "round":
      return numeric ? undefined : `${name} takes numbers, not ${a(arg)}`;
    case "upper":
    case "lower":
    case "trim":
      return arg === "any" || arg === "string" ? undefined : `${name} takes text, not ${a(arg)}`;
    case "date":
    case "part":
    case "trunc":
      return arg === "any" || arg === "string" || arg === "datetime" || arg === "date"
        ? undefined
        : `${name} takes a datetime, not ${a(arg)}`;
    case "length":
      return arg === "any" ? undefined : `length takes an array or a map (a path), not ${a(arg)}`;
    default:
      return undefined;
  }
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
