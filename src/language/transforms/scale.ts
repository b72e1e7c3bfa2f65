import * as dec from "../decimal.js";
import { CoerceFailure } from "../failure.js";
import { decimals, numberOut, numeric, type TransformDef } from "../transform.js";

/** Times a power of ten, exactly: cents to units, grams to kilograms. */
export const scale: TransformDef = {
  name: "scale",
  description: "The value times 10^by, exactly.",
  doc: {
    form: "`{ scale: $.data.amount_cents, by: -2 }`",
    result: "times 10^by: cents to units, grams to kilograms (`by: -3`)",
  },
  input: { kind: "value" },
  options: {
    by: {
      type: "integer",
      minimum: -65,
      maximum: 65,
      description: "The power of ten: -2 turns cents into units.",
    },
  },
  parse: (raw) =>
    Number.isInteger(raw.by) && Math.abs(raw.by as number) <= 65
      ? { by: raw.by as number }
      : {
          at: raw.by === undefined ? undefined : "by",
          issue: "scale needs by: an integer power of ten from -65 to 65",
          hint: "write { scale: $.data.amount_cents, by: -2 } for cents to units",
        },
  argument: (t) => numeric("scale", t),
  result: () => "decimal",
  evaluate: (o) => (args) => {
    const ds = decimals("scale", args);
    return ds instanceof CoerceFailure ? ds : numberOut(dec.scaleBy(ds[0]!, o.by ?? 0));
  },
  examples: [
    {
      value: "{ scale: $.data.cents, by: -2 }",
      column: "decimal(12,2)",
      data: { cents: 1999 },
      out: "19.99",
    },
  ],
};

export default scale;
