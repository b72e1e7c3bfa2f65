import { createHash } from "node:crypto";
import type { ActionSpec, Spec } from "../specs/types.js";
import { type CompiledSpec, compile, topicOf } from "./compile.js";
import { createTableSql, type Dialect, orderTables, type PhysicalTable } from "./ddl.js";
import { COUNTED_SUFFIX, countedTableSpec } from "./engine-tables.js";
import { type TableFingerprint, tableFingerprints } from "./fingerprint.js";
import { quoteId } from "./sql.js";
import type { Statement } from "./statements.js";

/** A rebuilt table is built as `<name>__rebuild` and the table it replaces is kept as `<name>__old`. */
export const SHADOW_SUFFIX = "__rebuild";
export const OLD_SUFFIX = "__old";

/** What `projector rebuild` builds: the tables, their shadows, the specs that write them. Pure data. */
export interface RebuildPlan {
  /** The rebuild's name: its tables joined with `+` (one rebuild of a set at a time). */
  readonly name: string;
  /** The named tables and their descendants, parents first. */
  readonly tables: readonly string[];
  readonly shadows: ReadonlyMap<string, PhysicalTable>;
  /**
   * The specs that write only those tables, into their shadows: the other tables' actions are left
   * out (their rows are not the rebuild's), ancestors outside the set are there to be read.
   */
  readonly compiled: CompiledSpec;
  /** The tables that count (`combine: add`/`subtract`): each has a `__counted` table, rebuilt and swapped with it. */
  readonly counted: readonly string[];
  /** CREATE TABLE of each shadow, parents first, and of the shadows' `__counted` tables. */
  readonly ddl: readonly string[];
  /** The topics whose events write the tables. */
  readonly topics: readonly string[];
  readonly fingerprints: ReadonlyMap<string, TableFingerprint>;
  /** Of all the tables' fingerprints: a rebuild resumes only what was begun with the same specs. */
  readonly fingerprint: string;
}

export class RebuildError extends Error {}

/** The named tables and every table below them (children, grandchildren), parents first. */
function withDescendants(spec: Spec, named: readonly string[]): string[] {
  const want = new Set(named);
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of spec.tables.values())
      if (t.parent && want.has(t.parent.table) && !want.has(t.name)) {
        want.add(t.name);
        grew = true;
      }
  }
  return orderTables(spec)
    .map((t) => t.name)
    .filter((n) => want.has(n));
}

/**
 * Plans the rebuild of `named` under the specs `spec`. `stamp` makes the shadows' foreign key names
 * unique in the database (the live tables keep theirs).
 */
export function planRebuild(
  spec: Spec,
  named: readonly string[],
  dialect: Dialect,
  stamp: string,
): RebuildPlan {
  if (named.length === 0) throw new RebuildError("name the tables to rebuild");
  for (const n of named)
    if (!spec.tables.has(n))
      throw new RebuildError(
        `no table ${n} in the specs (tables: ${[...spec.tables.keys()].sort().join(", ")})`,
      );
  const tables = withDescendants(spec, named);
  for (const t of tables)
    if (t.length + Math.max(SHADOW_SUFFIX.length, OLD_SUFFIX.length) > 64)
      throw new RebuildError(
        `table name ${t} is too long to rebuild (its shadow ${t}${SHADOW_SUFFIX} is over 64 characters)`,
      );
  const set = new Set(tables);
  const shadows = new Map<string, PhysicalTable>();
  for (const t of tables) {
    const parent = spec.tables.get(t)!.parent?.table;
    const fk = createHash("sha1").update(`${t}\u0000${stamp}`).digest("hex").slice(0, 10);
    shadows.set(t, {
      name: `${t}${SHADOW_SUFFIX}`,
      ...(parent ? { parent: set.has(parent) ? `${parent}${SHADOW_SUFFIX}` : parent } : {}),
      ...(parent ? { foreignKey: `fk_${fk}_${t}`.slice(0, 64) } : {}),
    });
  }
  // Ancestors outside the set, read (a child's replace needs its parent row), never written.
  const keep = new Set(tables);
  for (const t of tables) {
    let p = spec.tables.get(t)!.parent?.table;
    while (p && !keep.has(p)) {
      keep.add(p);
      p = spec.tables.get(p)!.parent?.table;
    }
  }
  const events = new Map<string, readonly ActionSpec[]>();
  for (const [type, actions] of spec.events) {
    const mine = actions.filter((a) => set.has(a.table));
    // A nested replace's rows come from its outer replace's elements: it is rebuilt with it.
    for (const a of mine) {
      const outer = a.nestedIn === undefined ? undefined : actions.find((x) => x.index === a.nestedIn);
      if (outer && !set.has(outer.table))
        throw new RebuildError(
          `${a.table} is written by a replace nested under the replace of ${outer.table} (${type}): rebuild ${outer.table}, and ${a.table} is rebuilt with it`,
        );
    }
    if (mine.length > 0) events.set(type, mine);
  }
  const subset: Spec = {
    tables: new Map([...spec.tables].filter(([n]) => keep.has(n))),
    events,
    conditions: new Map([...spec.conditions].filter(([type]) => events.has(type))),
    examples: [],
    files: spec.files,
  };
  const whole = compile(subset, dialect, shadows);
  // The live tables outside the set keep their own aggregates (the rebuilt rows are the same).
  const compiled = { ...whole, aggregates: new Map([...whole.aggregates].filter(([t]) => set.has(t))) };
  const counted = tables.filter((t) => compiled.tableByName.get(t)?.counted !== undefined);
  const ddl = [
    ...tables.map((t) => {
      const table = spec.tables.get(t)!;
      const parent = table.parent ? spec.tables.get(table.parent.table) : undefined;
      return createTableSql(table, parent, dialect, shadows.get(t));
    }),
    ...counted.map((t) =>
      createTableSql(countedTableSpec(`${t}${SHADOW_SUFFIX}${COUNTED_SUFFIX}`), undefined, dialect),
    ),
  ];
  const all = tableFingerprints(spec);
  const fingerprints = new Map(tables.map((t) => [t, all.get(t)!]));
  const fingerprint = createHash("sha256")
    .update(tables.map((t) => `${t}=${all.get(t)!.fingerprint}`).join("\n"))
    .digest("hex");
  return {
    name: tables.join("+"),
    tables,
    shadows,
    compiled,
    counted,
    ddl,
    topics: [...new Set([...events.keys()].map(topicOf))].sort(),
    fingerprints,
    fingerprint,
  };
}

const q = quoteId;

/** The tables a plan keeps under `suffix` (shadows, old tables), children first, then their `__counted` ones. */
function suffixed(plan: RebuildPlan, suffix: string): string[] {
  return [
    ...[...plan.tables].reverse().map((t) => `${t}${suffix}`),
    ...plan.counted.map((t) => `${t}${suffix}${COUNTED_SUFFIX}`),
  ];
}

/** Drops the shadows (a rebuild started over, or abandoned): children first. */
export function dropShadowsSql(plan: RebuildPlan): string[] {
  return suffixed(plan, SHADOW_SUFFIX).map((t) => `DROP TABLE IF EXISTS ${q(t)}`);
}

/** Drops the tables an earlier swap kept: children first. */
export function dropOldSql(plan: RebuildPlan): string[] {
  return suffixed(plan, OLD_SUFFIX).map((t) => `DROP TABLE IF EXISTS ${q(t)}`);
}

/**
 * The swap: one RENAME TABLE, atomic for the readers, that keeps each table as `<name>__old` and
 * puts its shadow in its place; foreign keys follow the tables they point to.
 */
export function swapSql(plan: RebuildPlan, existing: ReadonlySet<string>): string {
  const pairs: string[] = [];
  for (const t of plan.tables) {
    if (existing.has(t)) pairs.push(`${q(t)} TO ${q(`${t}${OLD_SUFFIX}`)}`);
    pairs.push(`${q(`${t}${SHADOW_SUFFIX}`)} TO ${q(t)}`);
  }
  // The events the shadow counted go live with it: a redelivery after the swap is not counted again.
  for (const t of plan.counted) {
    const live = `${t}${COUNTED_SUFFIX}`;
    if (existing.has(live)) pairs.push(`${q(live)} TO ${q(`${t}${OLD_SUFFIX}${COUNTED_SUFFIX}`)}`);
    pairs.push(`${q(`${t}${SHADOW_SUFFIX}${COUNTED_SUFFIX}`)} TO ${q(live)}`);
  }
  return `RENAME TABLE ${pairs.join(", ")}`;
}

/** How to put the kept tables back, printed after a swap. */
export function swapBackSql(plan: RebuildPlan): string {
  const pairs: string[] = [];
  for (const t of plan.tables)
    pairs.push(`${q(t)} TO ${q(`${t}${SHADOW_SUFFIX}`)}`, `${q(`${t}${OLD_SUFFIX}`)} TO ${q(t)}`);
  for (const t of plan.counted)
    pairs.push(
      `${q(`${t}${COUNTED_SUFFIX}`)} TO ${q(`${t}${SHADOW_SUFFIX}${COUNTED_SUFFIX}`)}`,
      `${q(`${t}${OLD_SUFFIX}${COUNTED_SUFFIX}`)} TO ${q(`${t}${COUNTED_SUFFIX}`)}`,
    );
  return `RENAME TABLE ${pairs.join(", ")}`;
}

/** Rows of the shadow (progress, checks): `n`. */
export function countShadowStatement(table: string): Statement {
  return { sql: `SELECT COUNT(*) n FROM ${q(`${table}${SHADOW_SUFFIX}`)}`, params: [] };
}
