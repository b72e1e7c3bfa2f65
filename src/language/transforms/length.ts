import { CoerceFailure, describe } from "../failure.js";
import { article, type TransformDef } from "../transform.js";

/** The number of elements of an array or entries of a map. */
export const length: TransformDef = {
  name: "length",
  description: "The number of elements of an array or entries of a map.",
  doc: {
    form: "`{ length: $.data.items }`",
    result: "the number of elements of an array or entries of a map",
  },
  input: { kind: "value" },
  options: {},
  argument: (t) =>
    t === "any" || t === "list" ? undefined : `length takes an array or a map (a path), not ${article(t)}`,
  result: () => "integer",
  evaluate:
    () =>
    ([v]) => {
      if (Array.isArray(v)) return v.length;
      if (v !== null && typeof v === "object") return Object.keys(v).length;
      return new CoerceFailure(`length expected an array or a map, got ${describe(v)}`);
    },
  examples: [
    { value: "{ length: $.data.items }", column: "int", data: { items: [1, 2, 3] }, out: 3 },
    { value: "{ length: $.data.items }", column: "int", data: { items: { a: 1 } }, out: 1 },
  ],
};

export default length;
