import { didYouMean, issue, type SpecIssue } from "../specs/issues.js";
import type { ColumnValue, ConditionSpec, Spec, TableSpec, ValueSpec } from "../specs/types.js";
import { conditionValues, valuesIn } from "../specs/walk.js";
import { CoerceFailure, coercerFor } from "../values/coerce.js";
import { checkPath, selectsMany } from "../values/json-path.js";
import { argumentError, assignError, typeOf } from "../values/value-types.js";
import { foreignKeyName } from "./ddl.js";
import { MAX_ROW_BYTES, rowBytes } from "./row-size.js";

/** An aggregate's `where` constants are values of their child columns (else nothing would match, or MySQL refuses). */
function checkAggregateConstants(spec: Spec, table: TableSpec, issues: SpecIssue[]): void {
  for (const col of table.columns.values()) {
    const agg = col.aggregate;
    if (!agg) continue;
    for (const w of agg.where) {
      const child = spec.tables.get(agg.table)?.columns.get(w.column);
      if (!child || w.value === null) continue;
      const v = coercerFor(child.type)(w.value);
      if (v instanceof CoerceFailure)
        issues.push(
          issue(
            agg.pos,
            `aggregate ${table.name}.${col.name}: where ${w.column}: ${JSON.stringify(w.value)} is no value of ${agg.table}.${w.column}: ${v.message}`,
            `compare with a value ${child.typeText} holds`,
          ),
        );
    }
  }
}

/**
 * The checks of a spec that need the compiler: every path compiles, constants and defaults fit
 * their column's type, a row fits MySQL's row size, derived foreign key names do not collide. Runs
 * beside specs/validate.ts (which checks references) and reports the same way; references that do
 * not resolve are skipped here (validate reports them).
 */
export function checkCompilable(spec: Spec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  // Foreign key names are unique in a whole database, and ours are derived from the table names.
  const fkNames = new Map<string, string>();
  for (const table of spec.tables.values()) {
    checkTable(table, issues);
    checkAggregateConstants(spec, table, issues);
    if (!table.parent) continue;
    const name = foreignKeyName(table).toLowerCase();
    const other = fkNames.get(name);
    if (other !== undefined)
      issues.push(
        issue(
          table.parent.pos,
          `the foreign key of ${table.name} would be named ${foreignKeyName(table)}, like the one of ${other}`,
          "rename one of the tables",
        ),
      );
    else fkNames.set(name, table.name);
  }
  for (const c of spec.conditions.values()) checkConditionPaths(c, issues);
  for (const actions of spec.events.values()) {
    for (const action of actions) {
      if (action.when) checkConditionPaths(action.when, issues);
      if (action.forEach) checkPaths(action.forEach, issues);
      if (action.with) {
        checkPaths(action.with, issues);
        if (selectsMany(action.with.path))
          issues.push(
            issue(
              action.with.pos,
              `with ${action.with.path} selects several values; it names the one object the action's @ paths read`,
              "to write a row per element, use replace with for_each",
            ),
          );
      }
      const table = spec.tables.get(action.table);
      if (!table) continue;
      checkValues(table, action.columns, issues);
      checkValues(table, action.where, issues);
    }
  }
  return issues;
}

function checkTable(table: TableSpec, issues: SpecIssue[]): void {
  const bytes = rowBytes(table);
  if (bytes > MAX_ROW_BYTES)
    issues.push(
      issue(
        table.pos,
        `a row of ${table.name} can take ${bytes} bytes, more than MySQL's ${MAX_ROW_BYTES} (varchar(n) counts 4n bytes in utf8mb4, text and json 10–12)`,
        "make the longest varchar columns text, or shorter",
      ),
    );
  for (const col of table.columns.values()) {
    if (col.default === undefined || col.default === null) continue;
    const r = coercerFor(col.type)(col.default);
    if (r instanceof CoerceFailure)
      issues.push(
        issue(
          col.defaultPos ?? col.pos,
          `default of ${table.name}.${col.name}: ${r.message}`,
          `give a default that fits ${col.typeText}`,
        ),
      );
  }
  for (const [column, value] of table.stamp) checkValue(table, column, value, issues);
}

function checkValues(table: TableSpec, values: readonly ColumnValue[], issues: SpecIssue[]): void {
  for (const v of values) checkValue(table, v.column, v.value, issues);
}

function checkPaths(v: ValueSpec, issues: SpecIssue[]): void {
  const paths = v.kind === "path" ? [v] : v.kind === "coalesce" ? v.paths : [];
  for (const p of paths) {
    const err = checkPath(p.path);
    if (err)
      issues.push(
        issue(
          p.pos,
          `path ${p.path} does not compile: ${err}`,
          "write paths like $.data.customer.user_id or @.product_snapshot.name",
        ),
      );
  }
  if (v.kind === "each")
    for (const inner of valuesIn(v.of))
      if (inner.kind === "key")
        issues.push(
          issue(
            inner.pos,
            "@key is the key of a replace's map element; each … of reads the values a path selects, without their keys",
            "use @index (the element's place in the list) or a field of the element",
          ),
        );
  if (v.kind === "each" && typeOf(v.of) === "list")
    issues.push(
      issue(
        v.of.pos,
        "each … of gives one value per element, but this selects several",
        "aggregate over the inner values with a path like $.data.lines[*].parts[*].qty, or pick one value of the element",
      ),
    );
  if (v.kind === "transform")
    for (const a of v.args) {
      const err = argumentError(v.name, typeOf(a));
      if (err) issues.push(issue(a.pos, err, `give ${v.name} a path or a value of the kind it takes`));
    }
}

function checkConditionPaths(c: ConditionSpec, issues: SpecIssue[]): void {
  for (const v of conditionValues(c)) checkPaths(v, issues);
}

function checkValue(table: TableSpec, column: string, value: ValueSpec, issues: SpecIssue[]): void {
  const col = table.columns.get(column);
  if (!col) return; // validate reports the unknown column
  for (const v of valuesIn(value)) checkPaths(v, issues);
  if (value.kind === "path" && typeOf(value) === "list") {
    // Several values where one goes: a validation error, not a failure of every event.
    const err = assignError("list", col.type);
    if (err)
      issues.push(
        issue(
          value.pos,
          `${table.name}.${column} (${col.typeText}): ${err}`,
          `write { sum: "${value.path}" } or another aggregate`,
        ),
      );
    return;
  }
  if (value.kind === "transform" || value.kind === "test") {
    const err = assignError(typeOf(value), col.type);
    if (err)
      issues.push(
        issue(
          value.pos,
          `${table.name}.${column} (${col.typeText}): ${err}`,
          "change the column's type or the transform",
        ),
      );
    return;
  }
  if (value.kind !== "const" || value.value === null) return;
  const r = coercerFor(col.type)(value.value);
  if (r instanceof CoerceFailure)
    issues.push(
      issue(
        value.pos,
        `constant for ${table.name}.${column}: ${r.message}`,
        (col.type.name === "enum" ? didYouMean(String(value.value), col.type.values) : undefined) ??
          `write a constant that fits ${col.typeText}, or a path ($…) to read the value from the event`,
      ),
    );
}
