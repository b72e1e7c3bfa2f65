import { type ModeDef, selectsByKey } from "./mode.js";

/** Hard delete by primary key; the children cascade. */
export const del: ModeDef = {
  name: "delete",
  description: "Hard DELETE by primary key; children cascade.",
  doc: { keys: "`where`", does: "`DELETE … WHERE` primary key; children cascade" },
  keys: ["where"],
  required: ["where"],
  element: false,
  writesGuard: true,
  check: (table, action, ctx) => selectsByKey(table, action, ctx, true),
};

export default del;
