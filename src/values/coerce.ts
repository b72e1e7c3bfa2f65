import { excerpt } from "../core/text.js";
import { parseIsoDatetime, validDate } from "../language/datetime.js";
import { CoerceFailure, describe } from "../language/failure.js";
import type { ColumnType } from "../specs/types.js";

export { CoerceFailure } from "../language/failure.js";

/** Turns a JSON value into the value bound for a column, or a CoerceFailure saying why it can't. */
export type Coercer = (value: unknown) => unknown;

const INT_RANGES = {
  tinyint: [-128, 127],
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
  bigint: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
} as const;

/** Deeper JSON than this is refused: MariaDB's JSON functions stop at 32 levels. */
export const MAX_JSON_DEPTH = 32;

export function coercerFor(type: ColumnType): Coercer {
  switch (type.name) {
    case "varchar":
      return stringCoercer(type.length, "characters");
    case "char": {
      // MySQL pads CHAR values and drops the trailing spaces when read: "ab " is stored, compared
      // and read as "ab". The value bound is what the database holds, so keys compare as it does.
      const coerce = stringCoercer(type.length, "characters");
      return (v) => coerce(typeof v === "string" ? trimTrailingSpaces(v) : v);
    }
    case "text":
      return stringCoercer(65535, "bytes");
    case "mediumtext":
      return stringCoercer(16777215, "bytes");
    case "tinyint":
    case "smallint":
    case "int":
    case "bigint": {
      const [min, max] = INT_RANGES[type.name];
      const name = type.name;
      return (v) => {
        if (typeof v !== "number") return new CoerceFailure(`expected an integer, got ${describe(v)}`);
        if (!Number.isInteger(v)) return new CoerceFailure(`expected an integer, got the fraction ${v}`);
        if (v < min || v > max) return new CoerceFailure(`${v} is out of range for ${name} (${min}..${max})`);
        return v;
      };
    }
    case "boolean":
      return (v) => {
        if (v === true || v === 1) return 1;
        if (v === false || v === 0) return 0;
        return new CoerceFailure(`expected a boolean, got ${describe(v)}`);
      };
    case "double":
      return (v) => {
        if (typeof v !== "number") return new CoerceFailure(`expected a number, got ${describe(v)}`);
        // JSON.parse("1e999") is Infinity: MySQL has no such double.
        return Number.isFinite(v) ? v : new CoerceFailure(`expected a finite number, got ${v}`);
      };
    case "decimal":
      return decimalCoercer(type.precision, type.scale);
    case "date":
      return (v) => {
        if (typeof v !== "string")
          return new CoerceFailure(`expected a date (YYYY-MM-DD), got ${describe(v)}`);
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
        if (!m || !validDate(+m[1]!, +m[2]!, +m[3]!))
          return new CoerceFailure(`expected a date (YYYY-MM-DD), got ${describe(v)}`);
        return v;
      };
    case "datetime":
      return (v) =>
        typeof v === "string"
          ? parseIsoDatetime(v, type.fsp)
          : new CoerceFailure(`expected an ISO-8601 timestamp, got ${describe(v)}`);
    case "json":
      return (v) => {
        if (jsonDepth(v, 0) > MAX_JSON_DEPTH)
          return new CoerceFailure(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
        return JSON.stringify(v);
      };
    case "binary":
    case "longblob":
      // Engine columns: written by the engine with Buffers or strings, never from a spec's mapping.
      return (v) =>
        Buffer.isBuffer(v) || typeof v === "string"
          ? v
          : new CoerceFailure(`expected bytes, got ${describe(v)}`);
    case "enum": {
      const allowed = new Set(type.values);
      return (v) =>
        typeof v === "string" && allowed.has(v)
          ? v
          : new CoerceFailure(`${describe(v)} is not one of ${type.values.join(", ")}`);
    }
  }
}

function stringCoercer(max: number, unit: "characters" | "bytes"): Coercer {
  return (v) => {
    let s: string;
    if (typeof v === "string") s = v;
    else if (typeof v === "number" || typeof v === "boolean") s = String(v);
    else
      return new CoerceFailure(
        `expected a string, got ${describe(v)} (map it to a json column to keep it whole)`,
      );
    // UTF-16 length is an upper bound of both code points and (for ASCII) bytes: skip the exact count when short.
    if (s.length > max / (unit === "bytes" ? 3 : 1)) {
      const size = unit === "bytes" ? Buffer.byteLength(s, "utf8") : codePoints(s);
      if (size > max)
        return new CoerceFailure(`string of ${size} ${unit} is longer than the column's ${max}`);
    }
    if (!s.isWellFormed())
      return new CoerceFailure("string contains an unpaired surrogate (not valid UTF-8)");
    return s;
  };
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) i++;
    n++;
  }
  return n;
}

function decimalCoercer(precision: number, scale: number): Coercer {
  const intDigits = precision - scale;
  return (v) => {
    let text: string;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return new CoerceFailure(`expected a decimal, got ${v}`);
      // The number as JSON wrote it (the shortest decimal that reads back as it): 0.1, not the
      // binary value's 0.1000000000000000055….
      const exact = plainDecimal(String(v));
      const [int = "", frac = ""] = exact.split(".");
      if (frac.length <= scale) text = scale === 0 ? int : `${int}.${frac.padEnd(scale, "0")}`;
      else {
        // More decimals than the column: float noise from arithmetic upstream (0.1 + 0.2 is
        // 0.30000000000000004; 0.3 added 100 times is 30.00000000000005) is dropped; a digit the
        // number really has (12.345 in decimal(…,2), 1000000000000000.5 in decimal(…,0)) is an error.
        text = v.toFixed(scale);
        const dropped = Math.abs(Number(text) - v);
        if (dropped > 1e-12 * Math.max(1, Math.abs(v)) || dropped >= 10 ** -scale * 1e-3)
          return new CoerceFailure(`${exact} has more than ${scale} decimal places`);
      }
    } else if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) {
      const frac = v.split(".")[1] ?? "";
      if (frac.length > scale)
        return new CoerceFailure(`${excerpt(v)} has more than ${scale} decimal places`);
      text = v;
    } else return new CoerceFailure(`expected a decimal number, got ${describe(v)}`);
    // As the column stores it: "12.5", "12.50" and 12.5 are one value (and one key), "12.50".
    const stored = atScale(text, scale);
    const dot = stored.indexOf(".");
    const digits = (dot < 0 ? stored.length : dot) - (stored.charCodeAt(0) === 45 ? 1 : 0);
    if (digits > intDigits && !stored.startsWith("0"))
      return new CoerceFailure(`${excerpt(text)} is out of range for decimal(${precision},${scale})`);
    return stored;
  };
}

/**
 * A plain decimal text (at most `scale` fraction digits) as a DECIMAL(…, scale) column holds it:
 * no leading zeros, exactly `scale` fraction digits, no negative zero. Linear in its length.
 */
export function atScale(text: string, scale: number): string {
  const neg = text.charCodeAt(0) === 45;
  const body = neg ? text.slice(1) : text;
  const dot = body.indexOf(".");
  let int = dot < 0 ? body : body.slice(0, dot);
  const frac = dot < 0 ? "" : body.slice(dot + 1);
  let i = 0;
  while (i < int.length - 1 && int.charCodeAt(i) === 48) i++;
  if (i > 0) int = int.slice(i);
  const digits = scale > 0 ? (frac.length < scale ? frac + "0".repeat(scale - frac.length) : frac) : "";
  let zero = int === "0";
  for (let j = 0; zero && j < digits.length; j++) if (digits.charCodeAt(j) !== 48) zero = false;
  return `${neg && !zero ? "-" : ""}${int}${scale > 0 ? `.${digits}` : ""}`;
}

/** The string without its trailing U+0020 spaces (CHAR columns drop them). */
function trimTrailingSpaces(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 32) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** `1.5e-7` → `0.00000015`, `1e+21` → `1000000000000000000000`; plain decimals are returned as they are. */
function plainDecimal(s: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/i.exec(s);
  if (!m) return s;
  const [, sign, int, frac = "", exp] = m;
  const digits = int! + frac;
  const point = int!.length + Number(exp);
  const whole =
    point <= 0
      ? `0.${"0".repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + "0".repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + whole.replace(/^0+(?=\d)/, "");
}

function jsonDepth(v: unknown, depth: number): number {
  if (v === null || typeof v !== "object") return depth;
  if (depth >= MAX_JSON_DEPTH) return depth + 1;
  // Walked without copying keys or values (this runs on every JSON column of every event).
  let max = depth + 1;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && max <= MAX_JSON_DEPTH; i++) {
      const child: unknown = v[i];
      if (child !== null && typeof child === "object") max = Math.max(max, jsonDepth(child, depth + 1));
    }
    return max;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (max > MAX_JSON_DEPTH) break;
    if (!Object.hasOwn(o, k)) continue;
    const child = o[k];
    if (child !== null && typeof child === "object") max = Math.max(max, jsonDepth(child, depth + 1));
  }
  return max;
}

export { parseIsoDatetime, parseIsoGeneral } from "../language/datetime.js";
