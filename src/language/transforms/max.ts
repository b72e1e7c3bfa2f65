import * as dec from "../decimal.js";
import { CoerceFailure } from "../failure.js";
import { aggregated, comparable, listed, numberOut, type TransformDef } from "../transform.js";

/** The greatest of the values a path selects: numbers exactly, ISO timestamps as UTC instants. */
export const max: TransformDef = {
  name: "max",
  description:
    "The greatest of the values a path selects: numbers, or ISO timestamps (nulls left out; null when there are none).",
  input: { kind: "many" },
  options: {},
  argument: (t) => aggregated("max", t),
  result: () => "any",
  evaluate: () => (args) => {
    const values = listed("max", args[0]);
    if (values instanceof CoerceFailure) return values;
    if (values.length === 0) return null;
    const c = comparable("max", values);
    if (c instanceof CoerceFailure) return c;
    if (c.kind === "decimal") return numberOut(c.values.reduce((a, b) => (dec.compare(b, a) > 0 ? b : a)));
    return [...c.values].sort().at(-1); // UTC text sorts as its instants do
  },
  examples: [
    {
      value: '{ max: "$.data.bids[*].price" }',
      column: "decimal(8,2)",
      data: { bids: [{ price: "10.50" }, { price: 9 }] },
      out: "10.50",
    },
    {
      value: '{ max: "$.data.history[*].at" }',
      column: "datetime(6)",
      data: { history: [{ at: "2025-01-02T10:00:00+02:00" }, { at: "2025-01-02T09:00:00Z" }] },
      out: "2025-01-02 09:00:00.000000",
    },
    {
      value: '{ max: "$.data.history[*].at" }',
      column: "datetime(6)",
      data: { history: [{ at: "2025-01-02T09:00:00Z" }, { at: 5 }] },
      out: { error: "max compares numbers or ISO timestamps" },
    },
  ],
};

export default max;
