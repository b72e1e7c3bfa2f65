import { type ModeDef, selectsByKey } from "./mode.js";

/** Mark the row deleted: a timestamp column set from the event. */
export const softDelete: ModeDef = {
  name: "soft_delete",
  description: "Set a timestamp column from the event.",
  doc: { keys: "`where`, `column`, `value?`, `set?`", does: "sets `column` to the event's timestamp" },
  keys: ["where", "column", "value", "set"],
  required: ["where", "column"],
  element: false,
  writesGuard: true,
  check: (table, action, ctx) => selectsByKey(table, action, ctx, false),
};

export default softDelete;
