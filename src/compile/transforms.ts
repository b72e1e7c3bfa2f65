import { cut, excerpt } from "../core/text.js";
import type { ColumnType, TransformName, TransformOptions, ValueSpec } from "../specs/types.js";
import { CoerceFailure, parseIsoDatetime } from "./coerce.js";
import type { Getter } from "./conditions.js";
import * as dec from "./decimal.js";
import { ABSENT } from "./json-path.js";
import type { ValueType } from "./value-types.js";

/**
 * The value transforms at run time. Pure and deterministic: no clock, no randomness, no code or SQL
 * from the event. An absent argument makes the result absent (the column is left alone), a null one
 * makes it null; a value a transform cannot take is a CoerceFailure (the event is dead-lettered
 * with it). Decimals are exact (compile/decimal.ts) and leave as decimal text.
 */

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

/** An integral result as a number where it is safe, else as decimal text. */
function numberOut(d: dec.Decimal): unknown {
  const text = dec.decimalText(d);
  if (d.s !== 0) return text;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

type Args = readonly unknown[];
type Apply = (args: Args) => unknown;

function decimals(name: string, args: Args): dec.Decimal[] | CoerceFailure {
  const out: dec.Decimal[] = [];
  for (const a of args) {
    const d = dec.parseDecimal(a);
    if (d === undefined) return new CoerceFailure(`${name} expected a number, got ${describe(a)}`);
    if (d instanceof dec.DecimalLimit) return new CoerceFailure(`${name}: ${d.message}`);
    out.push(d);
  }
  return out;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) of an ISO timestamp or date, or a failure. */
function utc(name: string, v: unknown): string | CoerceFailure {
  if (typeof v !== "string")
    return new CoerceFailure(`${name} expected an ISO-8601 timestamp, got ${describe(v)}`);
  const text = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
  const r = parseIsoDatetime(text, 6);
  return r instanceof CoerceFailure ? new CoerceFailure(`${name}: ${r.message}`) : r;
}

function applier(name: TransformName, o: TransformOptions, target: ColumnType | undefined): Apply {
  const targetScale = target?.name === "decimal" ? target.scale : undefined;
  switch (name) {
    case "add":
    case "sub":
    case "mul":
      return (args) => {
        const ds = decimals(name, args);
        if (ds instanceof CoerceFailure) return ds;
        const op = name === "add" ? dec.add : name === "sub" ? dec.sub : dec.mul;
        return numberOut(ds.slice(1).reduce(op, ds[0]!));
      };
    case "div": {
      const scale = o.decimals ?? targetScale ?? 10;
      return (args) => {
        const ds = decimals(name, args);
        if (ds instanceof CoerceFailure) return ds;
        let acc = ds[0]!;
        for (const d of ds.slice(1)) {
          if (d.m === 0n) return new CoerceFailure("div: division by zero");
          const q = dec.div(acc, d, scale, o.mode);
          if (!q)
            return new CoerceFailure(
              `div: ${excerpt(dec.decimalText(acc))} / ${excerpt(dec.decimalText(d))} is not exact at ${scale} decimals (give mode: half_up, half_even, down or up)`,
            );
          acc = q;
        }
        return numberOut(acc);
      };
    }
    case "scale":
      return (args) => {
        const ds = decimals(name, args);
        return ds instanceof CoerceFailure ? ds : numberOut(dec.scaleBy(ds[0]!, o.by ?? 0));
      };
    case "round": {
      const scale = o.decimals ?? targetScale ?? 0;
      return (args) => {
        const ds = decimals(name, args);
        return ds instanceof CoerceFailure ? ds : numberOut(dec.round(ds[0]!, scale, o.mode ?? "half_up")!);
      };
    }
    case "map": {
      const table = new Map(Object.entries(o.values ?? {}));
      const fallback = o.fallback ?? { kind: "error" };
      const keys = cut([...table.keys()].join(", "), 400);
      return ([v]) => {
        if (v !== null && typeof v === "object")
          return new CoerceFailure(`map expected a scalar, got ${describe(v)}`);
        const found = table.get(String(v));
        if (found !== undefined || table.has(String(v))) return found ?? null;
        if (fallback.kind === "default") return fallback.value;
        if (fallback.kind === "pass") return v;
        return new CoerceFailure(`map: ${describe(v)} is not in its values (${keys})`);
      };
    }
    case "upper":
    case "lower":
    case "trim":
      return ([v]) => {
        if (typeof v !== "string") return new CoerceFailure(`${name} expected text, got ${describe(v)}`);
        return name === "upper" ? v.toUpperCase() : name === "lower" ? v.toLowerCase() : v.trim();
      };
    case "concat":
      return (args) => {
        let out = "";
        for (const a of args) {
          if (a !== null && typeof a === "object")
            return new CoerceFailure(`concat expected scalars, got ${describe(a)}`);
          out += String(a);
        }
        return out;
      };
    case "length":
      return ([v]) => {
        if (Array.isArray(v)) return v.length;
        if (v !== null && typeof v === "object") return Object.keys(v).length;
        return new CoerceFailure(`length expected an array or a map, got ${describe(v)}`);
      };
    case "date":
      return ([v]) => {
        const t = utc(name, v);
        return t instanceof CoerceFailure ? t : t.slice(0, 10);
      };
    case "part": {
      const unit = o.unit ?? "day";
      return ([v]) => {
        const t = utc(name, v);
        if (t instanceof CoerceFailure) return t;
        switch (unit) {
          case "year":
            return Number(t.slice(0, 4));
          case "month":
            return Number(t.slice(5, 7));
          case "day":
            return Number(t.slice(8, 10));
          case "hour":
            return Number(t.slice(11, 13));
          case "minute":
            return Number(t.slice(14, 16));
          case "second":
            return Number(t.slice(17, 19));
          case "weekday": {
            // ISO: Monday 1 … Sunday 7.
            const day = new Date(`${t.slice(0, 10)}T00:00:00Z`).getUTCDay();
            return day === 0 ? 7 : day;
          }
        }
      };
    }
    case "trunc": {
      const keep = { year: 4, month: 7, day: 10, hour: 13, minute: 16, second: 19, weekday: 10 }[
        o.unit ?? "day"
      ];
      const zero = "0000-01-01 00:00:00.000000";
      return ([v]) => {
        const t = utc(name, v);
        return t instanceof CoerceFailure ? t : t.slice(0, keep) + zero.slice(keep);
      };
    }
  }
}

/** A transform's getter over its arguments' getters; `target` is the column it writes, if any. */
export function transformGetter(
  v: ValueSpec & { kind: "transform" },
  args: readonly Getter[],
  target: ColumnType | undefined,
): Getter {
  const apply = applier(v.name, v.options, target);
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
    if (isNull && v.name !== "map") return null;
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
