import { CoerceFailure } from "../failure.js";
import { decimals, numberOut, numeric, type TransformDef } from "../transform.js";

/** The absolute value, exactly: a refund's negative amount as the amount refunded. */
export const abs: TransformDef = {
  name: "abs",
  description: "The absolute value of a number, exactly (integers stay integers).",
  doc: {
    form: "`{ abs: $.data.amount_cents }`",
    result: "the absolute value, exactly (integers stay integers): `-12.50` is `12.50`",
  },
  input: { kind: "value" },
  options: {},
  argument: (t) => numeric("abs", t),
  // What it reads keeps its kind: an integer's is an integer; a value of unknown type, of unknown kind.
  result: (_o, args) => (args[0] === "integer" || args[0] === "any" ? args[0] : "decimal"),
  evaluate: () => (args) => {
    const ds = decimals("abs", args);
    if (ds instanceof CoerceFailure) return ds;
    const d = ds[0]!;
    return numberOut(d.m < 0n ? { ...d, m: -d.m } : d);
  },
  examples: [
    { value: "{ abs: $.data.amount }", column: "decimal(12,2)", data: { amount: "-12.50" }, out: "12.50" },
    { value: "{ abs: $.data.cents }", column: "int", data: { cents: -1999 }, out: 1999 },
    { value: "{ abs: $.data.cents }", column: "int", data: { cents: 7 }, out: 7 },
    {
      value: "{ abs: $.data.cents }",
      column: "int",
      data: { cents: "x" },
      out: { error: "abs expected a number" },
    },
  ],
};

export default abs;
