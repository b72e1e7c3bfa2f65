import { type ModeDef, selectsByKey } from "./mode.js";

/** Update the row selected by its primary key or a unique key. */
export const update: ModeDef = {
  name: "update",
  description: "UPDATE this table by primary or unique key.",
  doc: { keys: "`where`, `set`", does: "`UPDATE … WHERE` primary key or a unique key (all of its columns)" },
  keys: ["where", "set"],
  required: ["where", "set"],
  element: false,
  writesGuard: true,
  check: (table, action, ctx) => selectsByKey(table, action, ctx, false),
};

export default update;
