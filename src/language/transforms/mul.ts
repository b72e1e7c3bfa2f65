import * as dec from "../decimal.js";
import { CoerceFailure } from "../failure.js";
import { decimals, numberOut, numeric, type TransformDef } from "../transform.js";

/** Exact decimal product of the values. */
export const mul: TransformDef = {
  name: "mul",
  description: "Exact decimal product of the values.",
  // No doc row of its own: documented in add's.
  input: { kind: "list", min: 2 },
  options: {},
  argument: (t) => numeric("mul", t),
  result: (_o, args) => (args.every((a) => a === "integer") ? "integer" : "decimal"),
  evaluate: () => (args) => {
    const ds = decimals("mul", args);
    return ds instanceof CoerceFailure ? ds : numberOut(ds.slice(1).reduce(dec.mul, ds[0]!));
  },
  examples: [{ value: "{ mul: [$.data.a, 1.1] }", column: "decimal(6,2)", data: { a: 3 }, out: "3.30" }],
};

export default mul;
