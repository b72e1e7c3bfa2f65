import * as dec from "../decimal.js";
import { CoerceFailure } from "../failure.js";
import { decimals, numberOut, numeric, type TransformDef } from "../transform.js";

/** The first value minus the others, exactly. */
export const sub: TransformDef = {
  name: "sub",
  description: "The first value minus the others, exactly.",
  // No doc row of its own: documented in add's.
  input: { kind: "list", min: 2 },
  options: {},
  argument: (t) => numeric("sub", t),
  result: (_o, args) => (args.every((a) => a === "integer") ? "integer" : "decimal"),
  evaluate: () => (args) => {
    const ds = decimals("sub", args);
    return ds instanceof CoerceFailure ? ds : numberOut(ds.slice(1).reduce(dec.sub, ds[0]!));
  },
  examples: [
    { value: "{ sub: [$.data.a, $.data.b] }", column: "decimal(6,2)", data: { a: 1, b: 0.25 }, out: "0.75" },
  ],
};

export default sub;
