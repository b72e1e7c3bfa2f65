import { CoerceFailure, describe } from "../failure.js";
import { type TransformDef, textual } from "../transform.js";

/** Upper-cased text. */
export const upper: TransformDef = {
  name: "upper",
  description: "Upper-cased text.",
  doc: { form: "`{ upper: v }`, `{ lower: v }`, `{ trim: v }`", result: "text" },
  input: { kind: "value" },
  options: {},
  argument: (t) => textual("upper", t),
  result: () => "string",
  evaluate:
    () =>
    ([v]) =>
      typeof v === "string" ? v.toUpperCase() : new CoerceFailure(`upper expected text, got ${describe(v)}`),
  examples: [{ value: "{ upper: $.data.c }", column: "char(3)", data: { c: "usd" }, out: "USD" }],
};

export default upper;
