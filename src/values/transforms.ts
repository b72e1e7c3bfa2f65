import { CoerceFailure } from "../language/failure.js";
import { transformNamed } from "../language/registry.js";
import type { ValueType } from "../language/value-types.js";
import type { ColumnType, ValueSpec } from "../specs/types.js";
import type { Getter } from "./conditions.js";
import { ABSENT } from "./json-path.js";

/**
 * The value transforms at run time: each one's evaluation is its definition's
 * (src/language/transforms/). Pure and deterministic: no clock, no randomness, no code or SQL from
 * the event. An absent argument makes the result absent (the column is left alone), a null one
 * makes it null (unless the transform decides: map); a value a transform cannot take is a
 * CoerceFailure (the event is dead-lettered with it).
 */

/** A transform's getter over its arguments' getters; `target` is the column it writes, if any. */
export function transformGetter(
  v: ValueSpec & { kind: "transform" },
  args: readonly Getter[],
  target: ColumnType | undefined,
): Getter {
  const def = transformNamed(v.name);
  if (!def) throw new Error(`no transform ${v.name} (the loader checks names)`);
  const apply = def.evaluate(v.options, target?.name === "decimal" ? target.scale : undefined);
  const takesNull = def.takesNull === true;
  const n = args.length;
  return (e, el, k) => {
    const values: unknown[] = new Array(n);
    let isNull = false;
    for (let i = 0; i < n; i++) {
      const a = args[i]!(e, el, k);
      if (a === ABSENT || a instanceof CoerceFailure) return a;
      if (a === null) isNull = true;
      values[i] = a;
    }
    // null stays null, except where the transform decides (map has a row for it, or a default).
    if (isNull && !takesNull) return null;
    return apply(values);
  };
}

/**
 * Makes a transform's or a test's result what the column's coercion expects: a number for an
 * integer or double column, 1/0 for a boolean into an integer column, midnight for a date into a
 * datetime column. Values that are absent, null or failures pass through.
 */
export function forColumn(get: Getter, type: ValueType, col: ColumnType): Getter {
  const ints =
    col.name === "tinyint" || col.name === "smallint" || col.name === "int" || col.name === "bigint";
  let convert: ((v: unknown) => unknown) | undefined;
  if ((type === "decimal" || type === "integer") && (ints || col.name === "double"))
    convert = (v) => (typeof v === "string" ? Number(v) : v);
  else if (type === "boolean" && ints) convert = (v) => (v === true ? 1 : v === false ? 0 : v);
  else if (type === "date" && col.name === "datetime")
    convert = (v) => (typeof v === "string" ? `${v} 00:00:00.000000` : v);
  if (!convert) return get;
  const c = convert;
  return (e, el, k) => {
    const v = get(e, el, k);
    return v === ABSENT || v === null || v instanceof CoerceFailure ? v : c(v);
  };
}
