import { CoerceFailure, describe } from "../failure.js";
import { type TransformDef, textual } from "../transform.js";

/** The values as text, in order. */
export const concat: TransformDef = {
  name: "concat",
  description: "The values as text, one after the other.",
  doc: {
    form: '`{ concat: [$.data.first_name, " ", $.data.last_name] }`',
    result: "the values as text, in order",
  },
  input: { kind: "list", min: 1 },
  options: {},
  argument: (t) => (t === "list" ? textual("concat", t) : undefined),
  result: () => "string",
  evaluate: () => (args) => {
    let out = "";
    for (const a of args) {
      if (a !== null && typeof a === "object")
        return new CoerceFailure(`concat expected scalars, got ${describe(a)}`);
      out += String(a);
    }
    return out;
  },
  examples: [
    {
      value: '{ concat: [$.data.f, " ", $.data.l] }',
      column: "varchar(20)",
      data: { f: "Ada", l: "Lovelace" },
      out: "Ada Lovelace",
    },
  ],
};

export default concat;
