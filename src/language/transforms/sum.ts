import * as dec from "../decimal.js";
import { CoerceFailure } from "../failure.js";
import { aggregated, decimals, listed, numberOut, type TransformDef } from "../transform.js";

/** The exact sum of the values a path selects: an invoice's total from its lines. */
export const sum: TransformDef = {
  name: "sum",
  description: "Exact decimal sum of the values a path selects (nulls left out; 0 when there are none).",
  doc: {
    form: "`{ sum: $.data.lines[*].amount }`, `{ count: … }`, `{ min: … }`, `{ max: … }`",
    result:
      "aggregates of every value the path selects, nulls left out: the exact sum (`0` for none), how many, the least and the greatest (numbers, or ISO timestamps as UTC; null for none)",
  },
  input: { kind: "many" },
  options: {},
  argument: (t) => aggregated("sum", t),
  // The column decides: an integer column takes a sum of integers, and refuses a fraction.
  result: () => "any",
  evaluate: () => (args) => {
    const values = listed("sum", args[0]);
    if (values instanceof CoerceFailure) return values;
    const ds = decimals("sum", values);
    if (ds instanceof CoerceFailure) return ds;
    return numberOut(ds.reduce(dec.add, dec.toDecimal(0)!));
  },
  examples: [
    {
      value: '{ sum: "$.data.lines[*].amount" }',
      column: "decimal(10,2)",
      data: { lines: [{ amount: 0.1 }, { amount: 0.2 }, { amount: null }] },
      out: "0.30",
    },
    { value: '{ sum: "$.data.lines[*].qty" }', column: "int", data: { lines: [] }, out: 0 },
    {
      value: '{ sum: { each: "$.data.lines[*]", of: { mul: ["@.qty", "@.price"] } } }',
      column: "decimal(10,2)",
      data: { lines: [{ qty: 3, price: "2.50" }, { qty: 2, price: 0.1 }, { price: 9 }] },
      out: "7.70",
    },
    {
      value: '{ sum: "$.data.lines[*].qty" }',
      column: "int",
      data: { lines: [{ qty: 2 }, { qty: "x" }] },
      out: { error: "sum expected a number" },
    },
  ],
};

export default sum;
