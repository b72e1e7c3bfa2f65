import { type ModeDef, missingKey, missingRequired } from "./mode.js";

/** Insert the row, or update it where it exists (by primary key). */
export const upsert: ModeDef = {
  name: "upsert",
  description: "Insert the row, or update it where its primary key exists.",
  doc: {
    keys: "`columns`",
    does: "inserts the row, or updates it where its primary key exists (MySQL's upsert); `columns` must cover the primary key",
  },
  keys: ["columns"],
  required: ["columns"],
  element: false,
  writesGuard: true,
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

export default upsert;
