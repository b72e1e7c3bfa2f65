import { CoerceFailure } from "../failure.js";
import { aggregated, listed, type TransformDef } from "../transform.js";

/** How many values a path selects (nulls left out): the lines of an invoice. */
export const count: TransformDef = {
  name: "count",
  description: "How many values a path selects (nulls left out).",
  input: { kind: "many" },
  options: {},
  argument: (t) => aggregated("count", t),
  result: () => "integer",
  evaluate: () => (args) => {
    const values = listed("count", args[0]);
    return values instanceof CoerceFailure ? values : values.length;
  },
  examples: [
    {
      value: '{ count: "$.data.boxes[*].id" }',
      column: "int",
      data: { boxes: [{ id: 1 }, { id: null }, { id: 3 }] },
      out: 2,
    },
    { value: '{ count: "$.data.boxes[*]" }', column: "int", data: { boxes: [] }, out: 0 },
    { value: "{ count: $.data.boxes }", column: "int", data: { boxes: [7, 8, 9] }, out: 3 },
  ],
};

export default count;
