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

/** Rounded to a number of decimals (default half_up, to the column's scale). */
export const round: TransformDef = {
  name: "round",
  description: "The value rounded to `decimals` (default: the column's scale).",
  doc: {
    form: "`{ round: v, decimals: 0, mode: half_even }`",
    result: "rounded (default `half_up`, to the column's scale)",
  },
  input: { kind: "value" },
  options: ROUNDING_SCHEMA,
  parse: (raw) => roundingOptions(raw, "half_up"),
  argument: (t) => numeric("round", t),
  // Without decimals, round takes the column's scale (0 for an integer column): the column decides.
  result: (o) => (o.decimals === undefined ? "any" : o.decimals === 0 ? "integer" : "decimal"),
  evaluate: (o, targetScale) => {
    const scale = o.decimals ?? targetScale ?? 0;
    return (args) => {
      const ds = decimals("round", args);
      return ds instanceof CoerceFailure ? ds : numberOut(dec.round(ds[0]!, scale, o.mode ?? "half_up")!);
    };
  },
  examples: [
    { value: "{ round: $.data.a }", column: "decimal(6,1)", data: { a: 2.25 }, out: "2.3" },
    { value: "{ round: $.data.a, decimals: 0, mode: half_even }", column: "int", data: { a: 2.5 }, out: 2 },
  ],
};

export default round;
