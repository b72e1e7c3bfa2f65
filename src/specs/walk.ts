import type { ConditionSpec, ValueSpec } from "./types.js";

/** Every value inside a value (itself first): a transform's arguments, a test's condition's values. */
export function* valuesIn(v: ValueSpec): Generator<ValueSpec> {
  yield v;
  if (v.kind === "coalesce") for (const p of v.paths) yield p;
  else if (v.kind === "transform") for (const a of v.args) yield* valuesIn(a);
  else if (v.kind === "test") yield* conditionValues(v.condition);
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
