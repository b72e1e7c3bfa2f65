import { type ModeDef, missingKey, missingRequired } from "./mode.js";

/** Insert into a log table, idempotent by its keys. */
export const append: ModeDef = {
  name: "append",
  description: "Add a row to a log table, idempotent by its key.",
  doc: {
    keys: "`columns`",
    does: "adds a row to a log table, idempotent by its primary or unique keys (key it by `event_id`; the shipped logs use primary key `(event_timestamp, event_id)` plus `unique: [[event_id]]`, so rows are stored in time order)",
  },
  keys: ["columns"],
  required: ["columns"],
  element: false,
  writesGuard: false,
  check: (table, action, ctx) => [
    ...missingKey(
      table,
      ctx.written,
      action,
      (m) => `map ${m.map((c) => `${c}: $…`).join(", ")} under columns`,
    ),
    ...missingRequired(table, ctx.written, action),
  ],
};

export default append;
