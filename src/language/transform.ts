import { parseIsoDatetime } from "./datetime.js";
import * as dec from "./decimal.js";
import { CoerceFailure, describe } from "./failure.js";
import { LIST_HINT, type ValueType } from "./value-types.js";

/** Parts of a datetime (`part`) and the units it is truncated to (`trunc`). */
export type DatePart = "year" | "month" | "day" | "hour" | "minute" | "second" | "weekday";
export const DATE_PARTS: readonly DatePart[] = [
  "year",
  "month",
  "day",
  "hour",
  "minute",
  "second",
  "weekday",
];

/** Options of a transform, as the loader reads them; which apply depends on the transform. */
export interface TransformOptions {
  /** scale: the power of ten to multiply by (-2: cents to units). */
  readonly by?: number;
  /** div, round: decimals of the result (default: the column's scale). */
  readonly decimals?: number;
  /** div, round: how an inexact result is rounded (default: an inexact result is an error; round: half_up). */
  readonly mode?: dec.RoundMode;
  /** map: the lookup table, input (as text) → output. */
  readonly values?: Readonly<Record<string, string | number | boolean | null>>;
  /** map: what a value not in the table becomes: a constant, itself (pass), or an error. */
  readonly fallback?:
    | { readonly kind: "default"; readonly value: string | number | boolean | null }
    | { readonly kind: "pass" | "error" };
  /** part, trunc: which part of the datetime. */
  readonly unit?: DatePart;
}

/** A JSON Schema fragment (what editors complete and ajv checks). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** What is wrong with a transform's options: where (an option's key, or the transform), what, how to fix. */
export interface OptionIssue {
  readonly issue: string;
  readonly hint: string;
  /** The option at fault (else the transform's own key). */
  readonly at?: string;
}

/**
 * One value transform, whole, in one file of src/language/transforms/: how it is written (its own
 * key and options, from which the JSON Schema branch and the loader's checks are made), its doc
 * line, its static types, its evaluation, and examples that are also its tests
 * (test/unit/transform-registry.test.ts).
 */
export interface TransformDef {
  /** Its key in a value: `{ <name>: … }`. */
  readonly name: string;
  /** One sentence: the JSON Schema's description of its branch. */
  readonly description: string;
  /**
   * Its row in the docs' table of transforms: how it is written, and what it gives (none when
   * another's row documents it too, as `add`'s does `sub` and `mul`).
   */
  readonly doc?: { readonly form: string; readonly result: string };
  /**
   * What its own key takes: a list of values (`add: [a, b]`), one value (`upper: v`), or a unit
   * word with the value under another key (`part: hour, of: v`).
   */
  readonly input:
    | { readonly kind: "list"; readonly min: number }
    | { readonly kind: "value" }
    /** One path read as a list of the values it selects (aggregates: `sum: $.data.lines[*].qty`). */
    | { readonly kind: "many" }
    | { readonly kind: "unit"; readonly units: readonly string[]; readonly of: string };
  /** Its other keys (besides its own, `keep_existing` and a unit's `of`): their schema. */
  readonly options: Readonly<Record<string, JsonSchema>>;
  /** Reads its options (each already present or absent as written); what is wrong with them. */
  readonly parse?: (raw: Readonly<Record<string, unknown>>) => TransformOptions | OptionIssue;
  /** Why a value of static type `t` cannot be one of its arguments (undefined: it can). */
  readonly argument: (t: ValueType) => string | undefined;
  /** Its result's static type, from its options and its arguments' types. */
  readonly result: (options: TransformOptions, args: readonly ValueType[]) => ValueType;
  /**
   * Its evaluation, made once per column: the arguments' values (none absent, none a failure) →
   * the result, or a CoerceFailure saying why it cannot be had. `targetScale` is the scale of the
   * decimal column it writes, if it writes one.
   */
  readonly evaluate: (
    options: TransformOptions,
    targetScale: number | undefined,
  ) => (args: readonly unknown[]) => unknown;
  /** Whether it decides what a null argument gives (map); otherwise a null argument gives null. */
  readonly takesNull?: boolean;
  /** Examples, also its tests: the value as written, the column it writes, the event's data, the result. */
  readonly examples: readonly TransformExample[];
}

export interface TransformExample {
  /** The value as a spec writes it (YAML flow), e.g. `{ div: [$.data.cents, 100] }`. */
  readonly value: string;
  /** The column type it is written to, e.g. `decimal(12,2)`. */
  readonly column: string;
  /** The event's `data`. */
  readonly data: Readonly<Record<string, unknown>>;
  /** The value bound for the column, or `{ error: text }` for a failure whose reason contains it. */
  readonly out: unknown;
}

/** Whether a value of static type `t` may be a number argument (text is read as a number). */
export function numeric(name: string, t: ValueType): string | undefined {
  if (t === "list") return `${name} takes one number per argument, not several: ${LIST_HINT}`;
  return t === "any" || t === "integer" || t === "decimal" || t === "string"
    ? undefined
    : `${name} takes numbers, not ${article(t)}`;
}

/** Whether a value of static type `t` may be a text argument. */
export function textual(name: string, t: ValueType): string | undefined {
  if (t === "list") return `${name} takes one text per argument, not several: ${LIST_HINT}`;
  return t === "any" || t === "string" ? undefined : `${name} takes text, not ${article(t)}`;
}

/** Whether a value of static type `t` may be a datetime argument. */
export function temporal(name: string, t: ValueType): string | undefined {
  if (t === "list") return `${name} takes one datetime, not several: ${LIST_HINT}`;
  return t === "any" || t === "string" || t === "datetime" || t === "date"
    ? undefined
    : `${name} takes a datetime, not ${article(t)}`;
}

/** "a varchar", "an int". */
export function article(name: string): string {
  return `${/^[aeiou]/.test(name) ? "an" : "a"} ${name}`;
}

/** The arguments as exact decimals, or the failure of the first that is not one (or is too big). */
export function decimals(name: string, args: readonly unknown[]): dec.Decimal[] | CoerceFailure {
  const out: dec.Decimal[] = [];
  for (const a of args) {
    const d = dec.parseDecimal(a);
    if (d === undefined) return new CoerceFailure(`${name} expected a number, got ${describe(a)}`);
    if (d instanceof dec.DecimalLimit) return new CoerceFailure(`${name}: ${d.message}`);
    out.push(d);
  }
  return out;
}

/** An integral result as a number where it is safe, else as decimal text. */
export function numberOut(d: dec.Decimal): unknown {
  const text = dec.decimalText(d);
  if (d.s !== 0) return text;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) of an ISO timestamp or date, or a failure. */
export function utc(name: string, v: unknown): string | CoerceFailure {
  if (typeof v !== "string")
    return new CoerceFailure(`${name} expected an ISO-8601 timestamp, got ${describe(v)}`);
  const text = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
  const r = parseIsoDatetime(text, 6);
  return r instanceof CoerceFailure ? new CoerceFailure(`${name}: ${r.message}`) : r;
}

/** `decimals` and `mode` (div, round): read and checked. */
export function roundingOptions(
  raw: Readonly<Record<string, unknown>>,
  defaultMode: dec.RoundMode | undefined,
): TransformOptions | OptionIssue {
  const out: { decimals?: number; mode?: dec.RoundMode } = {};
  if (raw.decimals !== undefined) {
    const d = raw.decimals;
    if (!Number.isInteger(d) || (d as number) < 0 || (d as number) > 30)
      return {
        at: "decimals",
        issue: "decimals must be an integer from 0 to 30",
        hint: "the decimals of the result",
      };
    out.decimals = d as number;
  }
  if (raw.mode !== undefined) {
    if (!dec.ROUND_MODES.includes(raw.mode as dec.RoundMode))
      return {
        at: "mode",
        issue: `mode must be one of ${dec.ROUND_MODES.join(", ")}`,
        hint: "half_up rounds 0.5 away from zero",
      };
    out.mode = raw.mode as dec.RoundMode;
  } else if (defaultMode) out.mode = defaultMode;
  return out;
}

/** The JSON Schema of `decimals` and `mode`. */
export const ROUNDING_SCHEMA: Readonly<Record<string, JsonSchema>> = {
  decimals: {
    type: "integer",
    minimum: 0,
    maximum: 30,
    description: "Decimals of the result (default: the column's scale).",
  },
  mode: {
    enum: dec.ROUND_MODES,
    description:
      "How an inexact result is rounded (div: an inexact result is an error without it; round: half_up).",
  },
};

/** An aggregate's argument: a path (a list when its form selects several values). */
export function aggregated(name: string, t: ValueType): string | undefined {
  return t === "list" || t === "any"
    ? undefined
    : `${name} takes a path that selects values, such as $.data.lines[*].amount, not ${article(t)}`;
}

/** The values an aggregate's path selected, nulls left out (as SQL's SUM, COUNT, MIN and MAX do). */
export function listed(name: string, v: unknown): unknown[] | CoerceFailure {
  if (!Array.isArray(v))
    return new CoerceFailure(`${name} expected the values of a path, got ${describe(v)}`);
  return v.filter((x) => x !== null);
}

/**
 * The values as exact decimals, or as UTC datetimes when every one is an ISO timestamp: what `min`
 * and `max` compare. A failure names the first value that is neither.
 */
export function comparable(
  name: string,
  values: readonly unknown[],
): { kind: "decimal"; values: dec.Decimal[] } | { kind: "datetime"; values: string[] } | CoerceFailure {
  if (
    values.every((v) => typeof v === "number" || (typeof v === "string" && !/^\d{4}-\d{2}-\d{2}/.test(v)))
  ) {
    const ds = decimals(name, values);
    return ds instanceof CoerceFailure ? ds : { kind: "decimal", values: ds };
  }
  const out: string[] = [];
  for (const v of values) {
    const t = utc(name, v);
    if (t instanceof CoerceFailure)
      return new CoerceFailure(`${name} compares numbers or ISO timestamps, got ${describe(v)}`);
    out.push(t);
  }
  return { kind: "datetime", values: out };
}

export function isOptionIssue(v: TransformOptions | OptionIssue): v is OptionIssue {
  return "issue" in v;
}
