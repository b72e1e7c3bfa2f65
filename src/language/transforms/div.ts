import { cut } from "../../core/text.js";
import * as dec from "../decimal.js";
import { CoerceFailure } from "../failure.js";
import {
  decimals,
  numberOut,
  numeric,
  ROUNDING_SCHEMA,
  roundingOptions,
  type TransformDef,
} from "../transform.js";

/** Exact division to a number of decimals; an inexact result is an error unless a mode rounds it. */
export const div: TransformDef = {
  name: "div",
  description: "The first value divided by the others, exact to `decimals` (or rounded by `mode`).",
  doc: {
    form: "`{ div: [a, b], decimals: 2, mode: half_up }`",
    result:
      "exact division to `decimals` (default: the column's scale); not exact → an error, unless `mode` (`half_up`, `half_even`, `down`, `up`) says how to round",
  },
  input: { kind: "list", min: 2 },
  options: ROUNDING_SCHEMA,
  parse: (raw) => roundingOptions(raw, undefined),
  argument: (t) => numeric("div", t),
  result: () => "decimal",
  evaluate: (o, targetScale) => {
    const scale = o.decimals ?? targetScale ?? 10;
    return (args) => {
      const ds = decimals("div", args);
      if (ds instanceof CoerceFailure) return ds;
      let acc = ds[0]!;
      for (const d of ds.slice(1)) {
        if (d.m === 0n) return new CoerceFailure("div: division by zero");
        const q = dec.div(acc, d, scale, o.mode);
        if (!q)
          return new CoerceFailure(
            `div: ${cut(dec.decimalText(acc), 60)} / ${cut(dec.decimalText(d), 60)} is not exact at ${scale} decimals (give mode: half_up, half_even, down or up)`,
          );
        acc = q;
      }
      return numberOut(acc);
    };
  },
  examples: [
    { value: "{ div: [$.data.cents, 100] }", column: "decimal(12,2)", data: { cents: 1999 }, out: "19.99" },
    { value: "{ div: [$.data.grams, 1000] }", column: "decimal(10,3)", data: { grams: 2500 }, out: "2.500" },
    {
      value: "{ div: [$.data.a, 3] }",
      column: "decimal(6,2)",
      data: { a: 1 },
      out: { error: "is not exact at 2 decimals" },
    },
    { value: "{ div: [$.data.a, 3], mode: half_up }", column: "decimal(6,2)", data: { a: 2 }, out: "0.67" },
    {
      value: "{ div: [$.data.a, 0] }",
      column: "decimal(6,2)",
      data: { a: 1 },
      out: { error: "division by zero" },
    },
  ],
};

export default div;
