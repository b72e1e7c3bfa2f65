import * as dec from "../decimal.js";
import { CoerceFailure } from "../failure.js";
import { decimals, numberOut, numeric, type TransformDef } from "../transform.js";

/** Exact sums (integers stay integers): `0.1 + 0.2` is `0.3`. */
export const add: TransformDef = {
  name: "add",
  description: "Exact decimal sum of the values.",
  doc: {
    form: "`{ add: [a, b, …] }`, `{ sub: [a, b] }`, `{ mul: [a, b] }`",
    result: "exact decimal arithmetic (integers stay integers): `0.1 + 0.2` is `0.3`",
  },
  input: { kind: "list", min: 2 },
  options: {},
  argument: (t) => numeric("add", t),
  result: (_o, args) => (args.every((a) => a === "integer") ? "integer" : "decimal"),
  evaluate: () => (args) => {
    const ds = decimals("add", args);
    return ds instanceof CoerceFailure ? ds : numberOut(ds.slice(1).reduce(dec.add, ds[0]!));
  },
  examples: [
    { value: "{ add: [$.data.a, $.data.b] }", column: "decimal(6,2)", data: { a: 0.1, b: 0.2 }, out: "0.30" },
    { value: "{ add: [$.data.a, 1] }", column: "decimal(8,2)", data: { a: 41 }, out: "42.00" },
    {
      value: "{ add: [$.data.a, 1] }",
      column: "decimal(8,2)",
      data: { a: "x" },
      out: { error: "add expected a number" },
    },
  ],
};

export default add;
