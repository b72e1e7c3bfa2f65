import { issue, type SpecIssue } from "../issues.js";
import { type ModeDef, missingKey, missingRequired, sameSet } from "./mode.js";

/** Replace a parent row's children: one row per element of an array or an object map. */
export const replace: ModeDef = {
  name: "replace",
  description: "Replace a parent's child rows, one per for_each element.",
  doc: {
    keys: "`where`, `for_each`, `columns`",
    does: "T must have a `parent`; `where` gives the parent key (the child's parent columns); deletes the parent's children and inserts one row per element",
  },
  keys: ["where", "for_each", "columns"],
  required: ["where", "for_each", "columns"],
  element: true,
  writesGuard: false,
  check: (table, action, ctx) => {
    if (!table.parent)
      return [
        issue(
          action.tablePos,
          `replace needs a child table, but ${table.name} has no parent`,
          `add parent: { table: …, columns: [...] } to ${table.name}`,
        ),
      ];
    if (!sameSet(ctx.whereCols, table.parent.columns))
      // the key checks would only repeat this
      return [
        issue(
          action.where[0]?.pos ?? action.pos,
          `replace into ${table.name}: where must give exactly the parent columns [${table.parent.columns.join(", ")}]`,
          `use where: { ${table.parent.columns.map((c) => `${c}: $…`).join(", ")} }`,
        ),
      ];
    const out: SpecIssue[] = [];
    for (const c of action.columns)
      if (ctx.whereCols.includes(c.column))
        out.push(
          issue(
            c.pos,
            `replace into ${table.name}: ${c.column} is the parent key, given by where`,
            `remove ${c.column} from columns`,
          ),
        );
    const all = new Set([...ctx.written, ...ctx.whereCols]);
    out.push(
      ...missingKey(
        table,
        all,
        action,
        (m) => `map ${m.join(", ")} under columns, e.g. to "@key" or "@position"`,
      ),
      ...missingRequired(table, all, action),
    );
    return out;
  },
};

export default replace;
