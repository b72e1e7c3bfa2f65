import { CoerceFailure } from "../failure.js";
import { type TransformDef, temporal, utc } from "../transform.js";

/** The date (UTC) of a timestamp. */
export const date: TransformDef = {
  name: "date",
  description: "The date (UTC) of a timestamp.",
  doc: { form: "`{ date: $.data.paid_at }`", result: "the date (UTC) of a timestamp" },
  input: { kind: "value" },
  options: {},
  argument: (t) => temporal("date", t),
  result: () => "date",
  evaluate:
    () =>
    ([v]) => {
      const t = utc("date", v);
      return t instanceof CoerceFailure ? t : t.slice(0, 10);
    },
  examples: [
    {
      value: "{ date: $.data.at }",
      column: "date",
      data: { at: "2025-01-01T23:30:00-02:00" },
      out: "2025-01-02",
    },
  ],
};

export default date;
