import { CoerceFailure } from "../failure.js";
import { DATE_PARTS, type TransformDef, temporal, utc } from "../transform.js";

/** A part of a timestamp (UTC) as an integer. */
export const part: TransformDef = {
  name: "part",
  description: "A part of a timestamp (UTC) as an integer; weekday: Monday 1 … Sunday 7.",
  doc: {
    form: "`{ part: hour, of: $.data.paid_at }`",
    result: "`year`, `month`, `day`, `hour`, `minute`, `second` or `weekday` (Monday 1 … Sunday 7), UTC",
  },
  input: { kind: "unit", units: DATE_PARTS, of: "of" },
  options: {},
  argument: (t) => temporal("part", t),
  result: () => "integer",
  evaluate: (o) => {
    const unit = o.unit ?? "day";
    return ([v]) => {
      const t = utc("part", v);
      if (t instanceof CoerceFailure) return t;
      switch (unit) {
        case "year":
          return Number(t.slice(0, 4));
        case "month":
          return Number(t.slice(5, 7));
        case "day":
          return Number(t.slice(8, 10));
        case "hour":
          return Number(t.slice(11, 13));
        case "minute":
          return Number(t.slice(14, 16));
        case "second":
          return Number(t.slice(17, 19));
        case "weekday": {
          // ISO: Monday 1 … Sunday 7.
          const day = new Date(`${t.slice(0, 10)}T00:00:00Z`).getUTCDay();
          return day === 0 ? 7 : day;
        }
      }
    };
  },
  examples: [
    {
      value: "{ part: hour, of: $.data.at }",
      column: "tinyint",
      data: { at: "2025-01-01T10:30:00+02:00" },
      out: 8,
    },
    {
      value: "{ part: weekday, of: $.data.at }",
      column: "tinyint",
      data: { at: "2025-01-05T10:00:00Z" },
      out: 7,
    },
  ],
};

export default part;
