import { CoerceFailure } from "../failure.js";
import { DATE_PARTS, type TransformDef, temporal, utc } from "../transform.js";

const KEEP = { year: 4, month: 7, day: 10, hour: 13, minute: 16, second: 19, weekday: 10 } as const;
const ZERO = "0000-01-01 00:00:00.000000";

/** The timestamp cut to the start of its year, month, day, hour, minute or second. */
export const trunc: TransformDef = {
  name: "trunc",
  description: "The timestamp (UTC) cut to the start of its year, month, day, hour, minute or second.",
  doc: {
    form: "`{ trunc: month, of: $.data.paid_at }`",
    result: "the timestamp cut to the start of its `year`, `month`, `day`, `hour`, `minute` or `second`",
  },
  input: { kind: "unit", units: DATE_PARTS.filter((u) => u !== "weekday"), of: "of" },
  options: {},
  argument: (t) => temporal("trunc", t),
  result: () => "datetime",
  evaluate: (o) => {
    const keep = KEEP[o.unit ?? "day"];
    return ([v]) => {
      const t = utc("trunc", v);
      return t instanceof CoerceFailure ? t : t.slice(0, keep) + ZERO.slice(keep);
    };
  },
  examples: [
    {
      value: "{ trunc: month, of: $.data.at }",
      column: "datetime(6)",
      data: { at: "2025-03-15T10:30:00Z" },
      out: "2025-03-01 00:00:00.000000",
    },
  ],
};

export default trunc;
