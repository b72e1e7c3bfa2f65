import * as dec from "../decimal.js";
import { CoerceFailure } from "../failure.js";
import { aggregated, comparable, listed, numberOut, type TransformDef } from "../transform.js";

/** The least of the values a path selects: numbers exactly, ISO timestamps as UTC instants. */
export const min: TransformDef = {
  name: "min",
  description:
    "The least of the values a path selects: numbers, or ISO timestamps (nulls left out; null when there are none).",
  input: { kind: "many" },
  options: {},
  argument: (t) => aggregated("min", t),
  result: () => "any",
  evaluate: () => (args) => {
    const values = listed("min", args[0]);
    if (values instanceof CoerceFailure) return values;
    if (values.length === 0) return null;
    const c = comparable("min", values);
    if (c instanceof CoerceFailure) return c;
    if (c.kind === "decimal") return numberOut(c.values.reduce((a, b) => (dec.compare(b, a) < 0 ? b : a)));
    return [...c.values].sort()[0]; // UTC text sorts as its instants do
  },
  examples: [
    {
      value: '{ min: "$.data.bids[*].price" }',
      column: "decimal(8,2)",
      data: { bids: [{ price: "10.50" }, { price: 9 }] },
      out: "9.00",
    },
    {
      value: '{ min: "$.data.history[*].at" }',
      column: "datetime(6)",
      data: { history: [{ at: "2025-01-02T10:00:00+02:00" }, { at: "2025-01-02T09:00:00Z" }] },
      out: "2025-01-02 08:00:00.000000",
    },
    { value: '{ min: "$.data.bids[*].price" }', column: "int", data: { bids: [] }, out: null },
  ],
};

export default min;
