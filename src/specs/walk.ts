import type { ConditionSpec, ValueSpec } from "./types.js";

/** Every value inside a value (itself first): a transform's arguments, a test's condition's values. */
export function* valuesIn(v: ValueSpec): Generator<ValueSpec> {
  yield v;
  if (v.kind === "coalesce") for (const p of v.paths) yield p;
  else if (v.kind === "transform") for (const a of v.args) yield* valuesIn(a);
  else if (v.kind === "test") yield* conditionValues(v.condition);
  else if (v.kind === "each") {
    yield v.each;
    yield* valuesIn(v.of);
  }
}

/**
 * Every value inside a value with whether an `@` in it reads an element: `inElement` for the value
 * itself (a replace's columns), always inside an aggregate's `each … of`.
 */
export function* valuesInContext(v: ValueSpec, inElement: boolean): Generator<[ValueSpec, boolean]> {
  yield [v, inElement];
  if (v.kind === "coalesce") for (const p of v.paths) yield [p, inElement];
  else if (v.kind === "transform") for (const a of v.args) yield* valuesInContext(a, inElement);
  else if (v.kind === "test")
    for (const c of conditionOperands(v.condition)) yield* valuesInContext(c, inElement);
  else if (v.kind === "each") {
    yield [v.each, inElement];
    yield* valuesInContext(v.of, true);
  }
}

/** Every value a condition reads. */
export function* conditionValues(c: ConditionSpec): Generator<ValueSpec> {
  switch (c.kind) {
    case "compare":
      yield* valuesIn(c.left);
      yield* valuesIn(c.right);
      break;
    case "in":
      yield* valuesIn(c.left);
      break;
    case "exists":
    case "absent":
      yield* valuesIn(c.value);
      break;
    case "all":
    case "any":
      for (const p of c.of) yield* conditionValues(p);
      break;
    case "not":
      yield* conditionValues(c.of);
      break;
  }
}

/** The values a condition compares, tests or looks for, not what is inside them. */
export function* conditionOperands(c: ConditionSpec): Generator<ValueSpec> {
  switch (c.kind) {
    case "compare":
      yield c.left;
      yield c.right;
      break;
    case "in":
      yield c.left;
      break;
    case "exists":
    case "absent":
      yield c.value;
      break;
    case "all":
    case "any":
      for (const p of c.of) yield* conditionOperands(p);
      break;
    case "not":
      yield* conditionOperands(c.of);
      break;
  }
}
