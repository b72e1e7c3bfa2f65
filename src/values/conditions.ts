import { compare as compareDecimals, toDecimal } from "../language/decimal.js";
import type { CompareOp, ConditionSpec, Scalar, ValueSpec } from "../specs/types.js";
import { conditionValues } from "../specs/walk.js";
import { CoerceFailure, parseIsoDatetime } from "./coerce.js";
import { ABSENT } from "./json-path.js";

/** Reads one value for a condition or a column: from the envelope, the for_each element, its key or index. */
export type Getter = (envelope: unknown, element: unknown, key: string | number) => unknown;

/** A compiled condition: whether the event (and element) matches. Pure and deterministic. */
export type Predicate = (envelope: unknown, element: unknown, key: string | number) => boolean;

const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/**
 * Orders two values the way a condition compares them, or undefined when they cannot be compared:
 * numbers (and decimal text beside a number) exactly by value; two ISO timestamps as instants (any
 * offset); other text exactly, character by character; booleans and null only equal themselves.
 */
export function compareValues(a: unknown, b: unknown): number | undefined {
  if (a === null || b === null) return a === b ? 0 : undefined;
  if (typeof a === "boolean" || typeof b === "boolean") return a === b ? 0 : undefined;
  if (typeof a === "number" || typeof b === "number") {
    const x = toDecimal(a);
    const y = toDecimal(b);
    return x && y ? compareDecimals(x, y) : undefined;
  }
  if (typeof a === "string" && typeof b === "string") {
    if (ISO.test(a) && ISO.test(b)) {
      const x = parseIsoDatetime(a);
      const y = parseIsoDatetime(b);
      if (!(x instanceof CoerceFailure) && !(y instanceof CoerceFailure)) return x < y ? -1 : x > y ? 1 : 0;
    }
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return undefined;
}

function test(op: CompareOp, order: number | undefined): boolean {
  if (order === undefined) return op === "ne";
  switch (op) {
    case "eq":
      return order === 0;
    case "ne":
      return order !== 0;
    case "lt":
      return order < 0;
    case "lte":
      return order <= 0;
    case "gt":
      return order > 0;
    case "gte":
      return order >= 0;
  }
}

/** A value that is absent (the path matched nothing) or that could not be computed. */
const missing = (v: unknown) => v === ABSENT || v instanceof CoerceFailure;

/**
 * Compiles a condition with `getter` (which compiles its values). A comparison with an absent
 * value is false (test absence with `absent: true`): `not { path: $.data.test, eq: true }` holds
 * for an event without `test`. `ne` is true for values of different kinds.
 */
export function compileCondition(c: ConditionSpec, getter: (v: ValueSpec) => Getter): Predicate {
  switch (c.kind) {
    case "compare": {
      const left = getter(c.left);
      const right = getter(c.right);
      const op = c.op;
      return (e, el, k) => {
        const a = left(e, el, k);
        const b = right(e, el, k);
        if (missing(a) || missing(b)) return false;
        return test(op, compareValues(a, b));
      };
    }
    case "in": {
      const left = getter(c.left);
      const values: readonly Scalar[] = c.values;
      return (e, el, k) => {
        const a = left(e, el, k);
        if (missing(a)) return false;
        return values.some((v) => compareValues(a, v) === 0);
      };
    }
    case "exists": {
      const v = getter(c.value);
      return (e, el, k) => !missing(v(e, el, k));
    }
    case "absent": {
      const v = getter(c.value);
      return (e, el, k) => v(e, el, k) === ABSENT;
    }
    case "all": {
      const parts = c.of.map((p) => compileCondition(p, getter));
      return (e, el, k) => parts.every((p) => p(e, el, k));
    }
    case "any": {
      const parts = c.of.map((p) => compileCondition(p, getter));
      return (e, el, k) => parts.some((p) => p(e, el, k));
    }
    case "not": {
      const inner = compileCondition(c.of, getter);
      return (e, el, k) => !inner(e, el, k);
    }
  }
}

/**
 * A condition as a value (`test`): true or false; absent when the event has none of the values the
 * condition reads (it says nothing about them: the column is left as it is).
 */
export function compileTest(c: ConditionSpec, getter: (v: ValueSpec) => Getter): Getter {
  const p = compileCondition(c, getter);
  const reads = [...conditionValues(c)].filter((v) => v.kind === "path" || v.kind === "coalesce").map(getter);
  return (e, el, k) => {
    if (reads.length > 0 && reads.every((g) => g(e, el, k) === ABSENT)) return ABSENT;
    return p(e, el, k);
  };
}
