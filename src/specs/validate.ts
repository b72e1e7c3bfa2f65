import { generatedColumns } from "./generated.js";
import { didYouMean, issue, type SpecIssue } from "./issues.js";
import { MODES } from "./modes/registry.js";
import type {
  ActionSpec,
  ColumnValue,
  ConditionSpec,
  SourcePos,
  Spec,
  TableSpec,
  ValueSpec,
} from "./types.js";
import { conditionOperands, valuesInContext } from "./walk.js";

/**
 * Checks what the JSON Schema cannot: references between tables, columns, keys and actions. What
 * needs the compiler (path syntax, constants and defaults against column types, row sizes, derived
 * names) is checked by compile/check.ts. Collects every issue instead of stopping at the first.
 */
export function validateSpec(spec: Spec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const table of spec.tables.values()) checkTable(spec, table, issues);
  checkParentCycles(spec, issues);
  checkAggregates(spec, issues);
  for (const c of spec.conditions.values()) checkCondition(c, issues);
  for (const [eventType, actions] of spec.events) {
    const seen = new Map<string, ActionSpec>();
    for (const action of actions) {
      const table = spec.tables.get(action.table);
      if (!table) {
        issues.push(
          issue(
            action.tablePos,
            `table "${action.table}" is not defined`,
            didYouMean(action.table, spec.tables.keys()) ??
              "declare it under tables: in one of the projection files",
          ),
        );
        continue;
      }
      const first = seen.get(action.table);
      if (first && first.mode !== "append") {
        issues.push(
          issue(
            action.pos,
            `${eventType} writes table ${action.table} twice (also at ${first.pos.file}:${first.pos.line}:${first.pos.col})`,
            first.mode === "replace" && action.mode === "replace"
              ? "one replace per child table and event: its rows come from one for_each, and a second replace would delete the first one's rows"
              : "merge the two actions into one so the outcome does not depend on their order",
          ),
        );
      }
      seen.set(action.table, action);
      if (action.nestedIn !== undefined) {
        const outer = actions.find((a) => a.index === action.nestedIn);
        if (outer && table.parent?.table !== outer.table) {
          issues.push(
            issue(
              action.tablePos,
              `${action.table} is nested under the replace of ${outer.table}, but its parent is ${table.parent?.table ?? "none"}`,
              `nest under it only replaces of tables whose parent is ${outer.table} (parent: { table: ${outer.table}, columns: [its primary key] })`,
            ),
          );
          continue;
        }
      }
      checkAction(table, action, issues);
    }
  }
  for (const ex of spec.examples) {
    const type = (ex.event as { event_type?: unknown } | null)?.event_type;
    if (typeof type !== "string" || !spec.events.has(type)) {
      issues.push(
        issue(
          ex.eventTypePos ?? ex.pos,
          `example "${ex.name}": event_type ${JSON.stringify(type)} has no projection`,
          didYouMean(String(type), spec.events.keys()),
        ),
      );
    }
    for (const op of ex.expect ?? []) {
      const table = spec.tables.get(op.table);
      if (!table) {
        issues.push(
          issue(
            op.pos,
            `example "${ex.name}": table "${op.table}" is not defined`,
            didYouMean(op.table, spec.tables.keys()),
          ),
        );
        continue;
      }
      const cols = [
        ...Object.keys(op.row ?? {}),
        ...(op.rows ?? []).flatMap((r) => Object.keys(r)),
        ...Object.keys(op.where ?? {}),
        ...Object.keys(op.set ?? {}),
        ...(op.absent ?? []),
      ];
      for (const c of new Set(cols)) {
        if (!table.columns.has(c)) {
          issues.push(
            issue(
              op.columnPos?.get(c) ?? op.pos,
              `example "${ex.name}": column "${c}" is not defined in table ${table.name}`,
              didYouMean(c, table.columns.keys()),
            ),
          );
        }
      }
    }
  }
  return issues;
}

function unknownColumn(table: TableSpec, column: string, pos: SourcePos): SpecIssue {
  return issue(
    pos,
    `column "${column}" is not defined in table ${table.name}`,
    didYouMean(column, table.columns.keys()) ??
      (pos.file === table.pos.file
        ? `add it under tables.${table.name}.columns`
        : `add it under extend.${table.name}.columns in this file, nullable or with a default; or under tables.${table.name}.columns in ${table.pos.file}`),
  );
}

function checkColumns(
  table: TableSpec,
  cols: readonly string[],
  pos: SourcePos,
  what: string,
  issues: SpecIssue[],
) {
  for (const c of cols) if (!table.columns.has(c)) issues.push(unknownColumn(table, c, pos));
  if (new Set(cols).size !== cols.length)
    issues.push(issue(pos, `${what} of ${table.name} lists a column twice`));
}

function checkTable(spec: Spec, table: TableSpec, issues: SpecIssue[]) {
  if (/^projector_/i.test(table.name))
    issues.push(
      issue(
        table.pos,
        `table name ${table.name} is reserved: projector_* tables belong to the engine (offsets, dead letters)`,
        "give the table another name",
      ),
    );
  // MySQL compares column names, index names and enum values without regard to letter case.
  const lower = new Map<string, string>();
  for (const col of table.columns.values()) {
    const other = lower.get(col.name.toLowerCase());
    if (other !== undefined)
      issues.push(
        issue(
          col.pos,
          `column ${table.name}.${col.name} differs from ${other} only in letter case; MySQL column names are case-insensitive`,
          "rename one of them",
        ),
      );
    else lower.set(col.name.toLowerCase(), col.name);
    if (col.comment !== undefined && col.comment.length > 1024)
      issues.push(
        issue(
          col.pos,
          `comment of ${table.name}.${col.name} is longer than MySQL's 1024 characters`,
          "shorten it",
        ),
      );
    if (col.type.name === "enum") {
      const seen = new Map<string, string>();
      for (const v of col.type.values) {
        const k = v.toLowerCase().replace(/ +$/, "");
        const prev = seen.get(k);
        if (prev !== undefined)
          issues.push(
            issue(
              col.pos,
              `enum of ${table.name}.${col.name} lists '${v}' and '${prev}', which MySQL treats as the same value (letter case and trailing spaces do not count)`,
              "keep one of them",
            ),
          );
        else seen.set(k, v);
      }
    }
  }
  if (table.comment !== undefined && table.comment.length > 2048)
    issues.push(
      issue(table.pos, `comment of table ${table.name} is longer than MySQL's 2048 characters`, "shorten it"),
    );
  checkColumns(table, table.primaryKey, table.pos, "primary key", issues);
  for (const c of table.primaryKey) {
    if (table.columns.get(c)?.nullable) {
      issues.push(
        issue(
          table.columns.get(c)!.nullablePos ?? table.columns.get(c)!.pos,
          `primary key column ${table.name}.${c} cannot be nullable`,
          "remove nullable: true",
        ),
      );
    }
  }
  const names = new Map<string, SourcePos>();
  for (const k of [...table.uniques, ...table.indexes]) {
    checkColumns(table, k.columns, k.pos, "key", issues);
    const prev = names.get(k.name.toLowerCase());
    if (prev)
      issues.push(
        issue(
          k.pos,
          `index name ${k.name} is used twice in table ${table.name} (letter case does not count)`,
          "give one of them another name",
        ),
      );
    names.set(k.name.toLowerCase(), k.pos);
    if (k.name.toLowerCase() === "primary")
      issues.push(
        issue(k.pos, `index name ${k.name} is reserved for the primary key in MySQL`, "set another name"),
      );
    if (k.name.length > 64)
      issues.push(issue(k.pos, `index name ${k.name} is longer than 64 characters`, "set a shorter name"));
  }
  if (table.guard !== undefined && !table.columns.has(table.guard))
    issues.push(unknownColumn(table, table.guard, table.guardPos ?? table.pos));
  if (table.guard !== undefined) {
    const t = table.columns.get(table.guard)?.type.name;
    if (t && !["datetime", "date", "int", "bigint", "smallint", "tinyint", "decimal", "double"].includes(t)) {
      issues.push(
        issue(
          table.guardPos ?? table.pos,
          `guard column ${table.name}.${table.guard} must be a timestamp or a number, not ${t}`,
        ),
      );
    }
  }
  checkGuardGroups(table, issues);
  for (const [col, value] of table.stamp) {
    if (table.columns.has(col)) {
      checkValue(table, col, value, false, issues);
      continue;
    }
    const fromDefaults = table.stampFromDefaults === true;
    issues.push(
      issue(
        value.pos,
        `column "${col}" of the ${fromDefaults ? "file's default stamp" : "stamp"} is not defined in table ${table.name}`,
        fromDefaults
          ? `add it under tables.${table.name}.columns, or give ${table.name} a stamp of its own: \`stamp: {}\` for none`
          : (didYouMean(col, table.columns.keys()) ??
              `add it under tables.${table.name}.columns, or remove it from the stamp`),
      ),
    );
  }
  const keys = new Set([
    ...table.primaryKey,
    ...table.uniques.flatMap((u) => u.columns),
    ...(table.parent?.columns ?? []),
  ]);
  for (const col of table.columns.values()) {
    const gen = col.generated;
    if (!gen) continue;
    for (const name of generatedColumns(gen.tokens)) {
      if (name === col.name)
        issues.push(
          issue(
            gen.pos,
            `generated column ${table.name}.${col.name} reads itself`,
            "compute it from other columns",
          ),
        );
      else if (!table.columns.has(name))
        issues.push(
          issue(
            gen.pos,
            `generated column ${table.name}.${col.name} reads "${name}", which is not a column of ${table.name}`,
            didYouMean(name, table.columns.keys()) ??
              "a generated column is computed from columns of its own row",
          ),
        );
    }
    if (keys.has(col.name))
      issues.push(
        issue(
          gen.pos,
          `generated column ${table.name}.${col.name} is part of a primary, unique or parent key`,
          "keys identify rows as the events name them: map the key from the event instead",
        ),
      );
    if (col.default !== undefined)
      issues.push(
        issue(
          col.defaultPos ?? col.pos,
          `generated column ${table.name}.${col.name} cannot have a default`,
          "remove default",
        ),
      );
  }
  for (const col of table.columns.values()) {
    if (col.default === undefined) continue;
    if (col.default === null) {
      if (!col.nullable)
        issues.push(
          issue(
            col.defaultPos ?? col.pos,
            `column ${table.name}.${col.name} is NOT NULL but defaults to null`,
            "add nullable: true or another default",
          ),
        );
      continue;
    }
    if (col.type.name === "text" || col.type.name === "json" || col.type.name === "mediumtext") {
      issues.push(
        issue(
          col.defaultPos ?? col.pos,
          `${col.type.name} column ${table.name}.${col.name} cannot have a default in MySQL`,
          "remove default",
        ),
      );
    }
  }
  const parent = table.parent;
  if (parent) {
    const p = spec.tables.get(parent.table);
    if (!p) {
      issues.push(
        issue(
          parent.tablePos ?? parent.pos,
          `parent table "${parent.table}" of ${table.name} is not defined`,
          didYouMean(parent.table, spec.tables.keys()) ?? "declare the parent table",
        ),
      );
    } else {
      checkColumns(table, parent.columns, parent.columnsPos ?? parent.pos, "parent key", issues);
      if (parent.columns.length !== p.primaryKey.length) {
        issues.push(
          issue(
            parent.columnsPos ?? parent.pos,
            `parent columns [${parent.columns.join(", ")}] must match the primary key of ${p.name} [${p.primaryKey.join(", ")}]`,
            `list one column of ${table.name} per primary key column of ${p.name}, in the same order`,
          ),
        );
      } else {
        parent.columns.forEach((c, i) => {
          const mine = table.columns.get(c);
          const theirs = p.columns.get(p.primaryKey[i]!);
          if (mine && theirs && mine.type.name !== theirs.type.name) {
            issues.push(
              issue(
                parent.pos,
                `${table.name}.${c} (${mine.typeText}) must have the type of ${p.name}.${theirs.name} (${theirs.typeText})`,
              ),
            );
          }
        });
      }
      const leading = table.primaryKey.slice(0, parent.columns.length);
      if (leading.join() !== parent.columns.join()) {
        issues.push(
          issue(
            parent.pos,
            `the primary key of child table ${table.name} must start with its parent columns [${parent.columns.join(", ")}]`,
            "child rows are replaced per parent, so their key is (parent key, element key)",
          ),
        );
      }
    }
  }
}

function checkParentCycles(spec: Spec, issues: SpecIssue[]) {
  for (const table of spec.tables.values()) {
    const seen = new Set<string>([table.name]);
    let cur = table.parent?.table;
    while (cur) {
      if (seen.has(cur)) {
        issues.push(
          issue(
            table.parent!.pos,
            `parent chain of ${table.name} loops back to ${cur}`,
            "parent relations must form a tree",
          ),
        );
        break;
      }
      seen.add(cur);
      cur = spec.tables.get(cur)?.parent?.table;
    }
  }
}

function checkValue(
  table: TableSpec,
  column: string,
  value: ValueSpec,
  inElement: boolean,
  issues: SpecIssue[],
) {
  const col = table.columns.get(column);
  for (const [v, el] of valuesInContext(value, inElement))
    checkElementUse(v, el, "this is not a replace action", issues);
  if (value.kind === "const" && value.value === null && col && !col.nullable)
    issues.push(
      issue(value.pos, `column ${table.name}.${column} is NOT NULL; the constant null cannot be written`),
    );
}

/** An element path or @key/@index/@position outside the columns of a replace (`where` says why not). */
function checkElementUse(v: ValueSpec, inElement: boolean, where: string, issues: SpecIssue[]) {
  if (v.kind === "path" && v.root === "element" && !inElement)
    issues.push(
      issue(
        v.pos,
        `${v.path} refers to the for_each element, but ${where}`,
        "use an envelope path starting with $",
      ),
    );
  if ((v.kind === "key" || v.kind === "index" || v.kind === "position") && !inElement)
    issues.push(
      issue(
        v.pos,
        `@${v.kind} is only available in the columns of a replace action`,
        "read the value from the event with a $… path, or explode the array with replace and for_each",
      ),
    );
}

/** A condition reads the event only: it decides about the whole event, not one element. */
export function checkCondition(c: ConditionSpec, issues: SpecIssue[]) {
  for (const operand of conditionOperands(c))
    for (const [v, el] of valuesInContext(operand, false))
      checkElementUse(v, el, "a when decides about the whole event", issues);
}

const INTEGERS = new Set(["tinyint", "smallint", "int", "bigint"]);

/**
 * `aggregate:` columns: over a child table of this one, of its exact number columns, into a number
 * column that counts from 0 (a row with no children), written by no action.
 */
function checkAggregates(spec: Spec, issues: SpecIssue[]) {
  for (const table of spec.tables.values())
    for (const col of table.columns.values()) {
      const agg = col.aggregate;
      if (!agg) continue;
      const where = `${table.name}.${col.name}`;
      const child = spec.tables.get(agg.table);
      if (!child || child.parent?.table !== table.name) {
        const children = [...spec.tables.values()]
          .filter((t) => t.parent?.table === table.name)
          .map((t) => t.name);
        issues.push(
          issue(
            agg.pos,
            `aggregate ${where}: ${child ? `${agg.table} is not a child table of ${table.name}` : `table "${agg.table}" is not defined`}`,
            children.length > 0
              ? `aggregate one of ${table.name}'s child tables: ${children.join(", ")}`
              : child
                ? `give ${agg.table} parent: { table: ${table.name}, columns: [${table.primaryKey.join(", ")}] }`
                : `declare a table with parent: { table: ${table.name}, columns: [${table.primaryKey.join(", ")}] } and aggregate it`,
          ),
        );
        continue;
      }
      const exact = (name: string) => INTEGERS.has(name) || name === "decimal";
      const countable = col.type.name === "int" || col.type.name === "bigint";
      if (agg.fn === "count" ? !countable : !exact(col.type.name))
        issues.push(
          issue(
            col.pos,
            `aggregate ${where}: a ${agg.fn} needs ${agg.fn === "count" ? "an int or bigint" : "an integer or decimal"} column, not ${col.typeText}`,
            agg.fn === "count" ? "make it int or bigint" : "make it decimal(p,s) or bigint",
          ),
        );
      // A sum of any number of children may not fit: it is stored as NULL then (a value of the
      // children alone, whatever the batches, where refusing the event would depend on them).
      if (agg.fn === "sum" && !col.nullable)
        issues.push(
          issue(
            col.nullablePos ?? col.pos,
            `aggregate ${where}: a sum of any number of ${agg.table} rows may not fit ${col.typeText}, and is then NULL, so the column must be nullable`,
            "add nullable: true (with default: 0, a row with no children still has 0)",
          ),
        );
      if (col.default === undefined || col.default === null || Number(col.default) !== 0)
        issues.push(
          issue(
            col.defaultPos ?? col.pos,
            `aggregate ${where}: a row with no ${agg.table} rows has ${agg.fn} 0, so the column's default must be 0`,
            "add default: 0",
          ),
        );
      const keys = [
        ...table.primaryKey,
        ...table.uniques.flatMap((u) => u.columns),
        ...(table.parent?.columns ?? []),
      ];
      if (keys.includes(col.name) || table.guard === col.name || table.stamp.has(col.name) || col.generated)
        issues.push(
          issue(
            agg.pos,
            `aggregate ${where} is also a key, guard, stamp or generated column`,
            "aggregate into a column of its own",
          ),
        );
      for (const name of agg.of) {
        const c = child.columns.get(name);
        if (!c) issues.push(unknownColumn(child, name, agg.pos));
        else if (!exact(c.type.name))
          issues.push(
            issue(
              agg.pos,
              `aggregate ${where}: sums exact numbers; ${child.name}.${name} is ${c.typeText}`,
              "sum integer or decimal columns (a double's sum depends on the order MySQL adds it in)",
            ),
          );
      }
      for (const w of agg.where) {
        const c = child.columns.get(w.column);
        if (!c) {
          issues.push(unknownColumn(child, w.column, agg.pos));
          continue;
        }
        if (c.type.name === "json" || c.type.name === "longblob" || c.type.name === "binary") {
          issues.push(
            issue(
              agg.pos,
              `aggregate ${where}: where cannot compare ${child.name}.${w.column} (${c.typeText})`,
              "filter on a text, number, boolean or date column",
            ),
          );
        }
        // Whether the constant fits the column: compile/check.ts (it needs the coercion).
      }
      for (const name of [...agg.of, ...agg.where.map((w) => w.column)])
        if (child.columns.get(name)?.aggregate || child.columns.get(name)?.generated)
          issues.push(
            issue(
              agg.pos,
              `aggregate ${where} reads ${child.name}.${name}, which is itself computed (an aggregate or generated column)`,
              `aggregate columns the events write`,
            ),
          );
      for (const [eventType, actions] of spec.events)
        for (const a of actions) {
          if (a.table === table.name && [...a.columns, ...a.where].some((c) => c.column === col.name))
            issues.push(
              issue(
                a.tablePos,
                `${eventType} writes ${where}, which the engine keeps equal to the ${agg.fn} of its ${agg.table} rows`,
                `remove ${col.name} from this action: write the ${agg.table} rows, and it follows`,
              ),
            );
          const byUnique =
            a.table === child.name &&
            (a.mode === "update" || a.mode === "soft_delete" || a.mode === "delete") &&
            !child.primaryKey.every((k) => a.where.some((w) => w.column === k));
          if (byUnique)
            issues.push(
              issue(
                a.tablePos,
                `${eventType} selects ${child.name} rows by a unique key, but ${where} aggregates them: the engine must know a row's ${table.name} key before writing it`,
                `select the row by its primary key (${child.primaryKey.join(", ")})`,
              ),
            );
        }
    }
}

const GUARD_TYPES = ["datetime", "date", "int", "bigint", "smallint", "tinyint", "decimal", "double"];

/** `guards:`: each guard a timestamp or number column, each covered column in one group, no key. */
function checkGuardGroups(table: TableSpec, issues: SpecIssue[]) {
  const groups = table.guardGroups ?? [];
  if (groups.length === 0) return;
  const keys = new Set([
    ...table.primaryKey,
    ...table.uniques.flatMap((u) => u.columns),
    ...(table.parent?.columns ?? []),
  ]);
  const taken = new Map<string, string>();
  const take = (col: string, what: string, pos: SourcePos) => {
    const other = taken.get(col);
    if (other)
      issues.push(
        issue(
          pos,
          `${table.name}.${col} is ${other} and ${what}`,
          "a column belongs to one guard group at most",
        ),
      );
    else taken.set(col, what);
  };
  if (table.guard) taken.set(table.guard, "the table's guard");
  for (const g of groups) {
    const col = table.columns.get(g.guard);
    if (!col) issues.push(unknownColumn(table, g.guard, g.pos));
    else if (!GUARD_TYPES.includes(col.type.name))
      issues.push(
        issue(
          g.pos,
          `guard column ${table.name}.${g.guard} must be a timestamp or a number, not ${col.typeText}`,
        ),
      );
    take(g.guard, `the guard of a group`, g.pos);
    for (const c of [g.guard, ...g.columns]) {
      const spec = table.columns.get(c);
      if (c !== g.guard && !spec) {
        issues.push(unknownColumn(table, c, g.pos));
        continue;
      }
      if (keys.has(c) || table.stamp.has(c) || spec?.generated || spec?.aggregate)
        issues.push(
          issue(
            g.pos,
            `${table.name}.${c} cannot be in a guard group: it is a key, stamp, generated or aggregate column`,
            "group the columns that events of one kind write (a dispute's status and reason)",
          ),
        );
    }
    for (const c of g.columns) take(c, `covered by ${g.guard}`, g.pos);
  }
}

/**
 * Whether an action writes a column its table's guard covers: one outside the `guards:` groups (an
 * update of a group's columns alone is guarded by that group's guard). Deletes: always.
 */
function writesOutsideGroups(table: TableSpec, action: ActionSpec): boolean {
  const groups = table.guardGroups ?? [];
  if (
    groups.length === 0 ||
    action.mode === "delete" ||
    action.mode === "append" ||
    action.mode === "replace"
  )
    return true;
  const grouped = new Set(groups.flatMap((g) => [g.guard, ...g.columns]));
  return action.columns.some((c) => !grouped.has(c.column));
}

/** Column types a counter adds to, and those a high- or low-water mark compares. */
const COUNTABLE = new Set(["tinyint", "smallint", "int", "bigint", "decimal", "double"]);
const ORDERED = new Set([...COUNTABLE, "date", "datetime"]);

/**
 * Tables whose rows a counter writes keep the events they counted in `<table>__counted` (a rebuild's
 * shadow in `<table>__rebuild__counted`): the name must fit MySQL's 64 characters.
 */
export const MAX_COUNTED_TABLE_NAME = 64 - "__rebuild__counted".length;

/** `combine:` — where it applies, what it may write, and the column it combines into. */
function checkCombine(table: TableSpec, action: ActionSpec, v: ColumnValue, issues: SpecIssue[]) {
  const pos = v.combinePos ?? v.pos;
  const col = table.columns.get(v.column)!;
  const how = v.combine!;
  if (action.mode !== "upsert" && action.mode !== "update") {
    issues.push(
      issue(
        pos,
        `combine does not apply to ${action.mode}: it combines an event's value with the row's`,
        "use combine in an upsert's columns or an update's set",
      ),
    );
    return;
  }
  const key =
    table.primaryKey.includes(v.column) ||
    table.uniques.some((u) => u.columns.includes(v.column)) ||
    table.parent?.columns.includes(v.column);
  if (key || table.guard === v.column || table.stamp.has(v.column)) {
    issues.push(
      issue(
        pos,
        `combine cannot write ${table.name}.${v.column}: it is ${key ? "a key" : table.guard === v.column ? "the guard" : "a stamp"} column`,
        "combine a plain column (a count, a total, a last-seen time)",
      ),
    );
    return;
  }
  if (v.keepExisting) {
    issues.push(
      issue(
        pos,
        "combine and keep_existing do not go together",
        "remove one: keep_existing sets once, combine changes",
      ),
    );
    return;
  }
  const counter = how === "add" || how === "subtract";
  if (!(counter ? COUNTABLE : ORDERED).has(col.type.name)) {
    issues.push(
      issue(
        pos,
        `combine: ${how} needs a ${counter ? "number" : "number, date or datetime"} column; ${table.name}.${v.column} is ${col.typeText}`,
        counter
          ? "count into an int, bigint, decimal or double column"
          : "keep a mark in a number, date or datetime column",
      ),
    );
    return;
  }
  if (counter && col.default !== undefined && col.default !== null && Number(col.default) !== 0) {
    issues.push(
      issue(
        col.defaultPos ?? col.pos,
        `${table.name}.${v.column} counts from 0 (combine: ${how}), so its default ${JSON.stringify(col.default)} would never be used`,
        "remove the default or make it 0; add a first amount with the event that creates the row",
      ),
    );
    return;
  }
  if (counter && table.name.length > MAX_COUNTED_TABLE_NAME)
    issues.push(
      issue(
        pos,
        `${table.name} is too long a name for a counted table: the events it counted are kept in ${table.name}__counted, and a rebuild's in ${table.name}__rebuild__counted (at most 64 characters)`,
        `name the table in at most ${MAX_COUNTED_TABLE_NAME} characters`,
      ),
    );
}

function checkAction(table: TableSpec, action: ActionSpec, issues: SpecIssue[]) {
  if (action.when) checkCondition(action.when, issues);
  for (const c of [...action.columns, ...action.where]) {
    const gen = table.columns.get(c.column)?.generated;
    if (gen)
      issues.push(
        issue(
          c.pos,
          `${table.name}.${c.column} is a generated column: MySQL computes it (${gen.expression}), the engine never writes it`,
          `remove ${c.column} from this action`,
        ),
      );
  }
  const def = MODES.get(action.mode)!;
  const check = (values: readonly ColumnValue[], element: boolean) => {
    const names = new Set<string>();
    for (const v of values) {
      if (!table.columns.has(v.column)) {
        issues.push(unknownColumn(table, v.column, v.pos));
        continue;
      }
      if (names.has(v.column))
        issues.push(issue(v.pos, `column ${v.column} is written twice by this action`));
      names.add(v.column);
      const setOnce = action.mode === "update" || action.mode === "soft_delete";
      if (v.keepExisting && !setOnce && action.mode !== "upsert") {
        issues.push(
          issue(
            v.pos,
            `keep_existing does not apply to ${action.mode}: it keeps a value an upsert or an update finds in the row`,
            "remove keep_existing: true and write the value as a plain path",
          ),
        );
      } else if (
        v.keepExisting &&
        setOnce &&
        (table.primaryKey.includes(v.column) ||
          table.guard === v.column ||
          table.uniques.some((u) => u.columns.includes(v.column)))
      ) {
        issues.push(
          issue(
            v.pos,
            `keep_existing cannot set ${table.name}.${v.column} once: it is a key or guard column`,
            "write it as a plain value, or set once a column that is not in a key",
          ),
        );
      }
      if (v.combine) checkCombine(table, action, v, issues);
      checkValue(table, v.column, v.value, element, issues);
    }
  };
  check(action.columns, def.element || action.with !== undefined);
  check(action.where, action.with !== undefined);
  if (action.with) {
    // Outside an each … of (there @index numbers its elements): with's one object has no index.
    for (const c of [...action.columns, ...action.where])
      for (const [v, el] of valuesInContext(c.value, false))
        if (!el && (v.kind === "key" || v.kind === "index" || v.kind === "position"))
          issues.push(
            issue(
              v.pos,
              `@${v.kind} has no meaning with with: there is one object, not a list`,
              "@key, @index and @position number the elements of a replace's for_each",
            ),
          );
  }
  if (action.ifMissing && (action.mode === "upsert" || action.mode === "append") && !table.parent)
    issues.push(
      issue(
        action.ifMissingPos ?? action.tablePos,
        `if_missing does not apply to this ${action.mode}: ${table.name} has no parent, so its rows never wait for one`,
        "remove if_missing: it applies to update and soft_delete, and to writes of a child table",
      ),
    );
  const written = new Set([
    ...action.columns.map((c) => c.column),
    ...(action.noStamp ? [] : table.stamp.keys()),
  ]);
  // A nested replace's parent key comes from its outer row: the parent columns are given.
  const whereCols =
    action.nestedIn !== undefined && table.parent ? table.parent.columns : action.where.map((w) => w.column);
  issues.push(...def.check(table, action, { written, whereCols }));
  if (action.mode === "upsert" || action.mode === "update" || action.mode === "soft_delete")
    for (const g of table.guardGroups ?? []) {
      const covered = action.columns.filter((c) => g.columns.includes(c.column));
      if (covered.length > 0 && !action.columns.some((c) => c.column === g.guard))
        issues.push(
          issue(
            covered[0]!.pos,
            `${table.name}.${covered[0]!.column} is guarded by ${g.guard}, but this ${action.mode} does not write it`,
            `add ${g.guard} to this action's columns: the event's time or version for them, e.g. ${g.guard}: $.timestamp`,
          ),
        );
    }
  if (
    table.guard &&
    table.columns.has(table.guard) &&
    def.writesGuard &&
    !written.has(table.guard) &&
    !action.noStamp &&
    writesOutsideGroups(table, action)
  ) {
    issues.push(
      issue(
        action.tablePos,
        `${table.name} is guarded by ${table.guard}, but this ${action.mode} does not write it`,
        `add ${table.guard} to the table's stamp or to this action's columns`,
      ),
    );
  }
}
