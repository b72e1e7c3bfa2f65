import { issue, type SpecIssue } from "../issues.js";
import type { ActionMode, ActionSpec, TableSpec } from "../types.js";

/**
 * One action mode as the spec language knows it, in one file of src/specs/modes/: its keys (from
 * which the loader's checks, the JSON Schema's action keys and the docs' table of modes are made)
 * and the checks of an action against its table that the schema cannot make. What a mode does to
 * rows lives with the planner (run/decide.ts), the statements (compile/statements.ts) and the
 * reference interpreter (reference/), which are the same for every mode by design.
 */
export interface ModeDef {
  readonly name: ActionMode;
  /** The JSON Schema's description of its key. */
  readonly description: string;
  /** Its row in the docs' table of modes: its keys as written, and what it does. */
  readonly doc: { readonly keys: string; readonly does: string };
  /** The keys it takes besides its own (and `when`). */
  readonly keys: readonly string[];
  /** Those it cannot do without. */
  readonly required: readonly string[];
  /** Whether its values may read the current for_each element (`@…`). */
  readonly element: boolean;
  /** Whether it must write the table's guard (it compares and moves it). */
  readonly writesGuard: boolean;
  /** The checks of an action against its table: issues, with their positions and hints. */
  readonly check: (table: TableSpec, action: ActionSpec, ctx: ModeContext) => SpecIssue[];
}

/** What every mode's check needs to know of an action. */
export interface ModeContext {
  /** Columns it writes: its own and the table's stamp. */
  readonly written: ReadonlySet<string>;
  /** Its where's columns. */
  readonly whereCols: readonly string[];
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

/** An insert that can never succeed: a NOT NULL column without default that the action never writes. */
export function missingRequired(
  table: TableSpec,
  written: ReadonlySet<string>,
  action: ActionSpec,
): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const col of table.columns.values()) {
    if (table.primaryKey.includes(col.name)) continue; // reported as a missing key column
    if (col.generated) continue; // MySQL computes it
    if (!col.nullable && col.default === undefined && !written.has(col.name))
      out.push(
        issue(
          action.tablePos,
          `${action.mode} into ${table.name} never writes NOT NULL column ${col.name}, which has no default`,
          `map ${col.name}, or make it nullable: true or give it a default`,
        ),
      );
  }
  return out;
}

/** The primary key columns an insert does not write. */
export function missingKey(
  table: TableSpec,
  written: ReadonlySet<string>,
  action: ActionSpec,
  hint: (missing: string[]) => string,
): SpecIssue[] {
  const missing = table.primaryKey.filter((c) => !written.has(c));
  if (missing.length === 0) return [];
  return [
    issue(
      action.tablePos,
      `${action.mode} into ${table.name} does not write its primary key column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
      hint(missing),
    ),
  ];
}

/** An update, soft delete or delete: selects its row by a key (delete: the primary key only), and changes no key column. */
export function selectsByKey(
  table: TableSpec,
  action: ActionSpec,
  ctx: ModeContext,
  primaryOnly: boolean,
): SpecIssue[] {
  const out: SpecIssue[] = [];
  const pk = table.primaryKey;
  const keys = [pk, ...table.uniques.map((u) => u.columns)];
  const wherePos = action.where[0]?.pos ?? action.pos;
  if (ctx.whereCols.some((c) => !table.columns.has(c))) {
    // unknown where columns are reported by the column checks; a key message would only repeat it
  } else if (!keys.some((k) => sameSet(k, ctx.whereCols))) {
    const allowed = primaryOnly ? [pk] : keys;
    out.push(
      issue(
        wherePos,
        `${action.mode} of ${table.name} must select the row by its primary key or a unique key, not [${ctx.whereCols.join(", ")}]`,
        `use where: { ${allowed.map((k) => k.join(", ")).join(" } or { ")} }`,
      ),
    );
  } else if (primaryOnly && !sameSet(pk, ctx.whereCols)) {
    out.push(
      issue(
        wherePos,
        `delete of ${table.name} must select the row by its primary key [${pk.join(", ")}]`,
        `use where: { ${pk.map((c) => `${c}: $…`).join(", ")} }, or soft_delete to mark the row by a unique key`,
      ),
    );
  }
  for (const c of action.columns)
    if (pk.includes(c.column))
      out.push(issue(c.pos, `${action.mode} must not change primary key column ${c.column}`));
  return out;
}
