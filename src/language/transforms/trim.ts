import { CoerceFailure, describe } from "../failure.js";
import { type TransformDef, textual } from "../transform.js";

/** Text without leading and trailing white space. */
export const trim: TransformDef = {
  name: "trim",
  description: "Text without leading and trailing white space.",
  // No doc row of its own: documented in upper's.
  input: { kind: "value" },
  options: {},
  argument: (t) => textual("trim", t),
  result: () => "string",
  evaluate:
    () =>
    ([v]) =>
      typeof v === "string" ? v.trim() : new CoerceFailure(`trim expected text, got ${describe(v)}`),
  examples: [{ value: "{ trim: $.data.c }", column: "varchar(8)", data: { c: "  x " }, out: "x" }],
};

export default trim;
