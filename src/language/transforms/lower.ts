import { CoerceFailure, describe } from "../failure.js";
import { type TransformDef, textual } from "../transform.js";

/** Lower-cased text. */
export const lower: TransformDef = {
  name: "lower",
  description: "Lower-cased text.",
  // No doc row of its own: documented in upper's.
  input: { kind: "value" },
  options: {},
  argument: (t) => textual("lower", t),
  result: () => "string",
  evaluate:
    () =>
    ([v]) =>
      typeof v === "string" ? v.toLowerCase() : new CoerceFailure(`lower expected text, got ${describe(v)}`),
  examples: [{ value: "{ lower: $.data.c }", column: "varchar(8)", data: { c: "PaiD" }, out: "paid" }],
};

export default lower;
