import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { didYouMean, issue, SpecError, type SpecIssue } from "./issues.js";
import type { RawFile } from "./raw.js";
import { type Extension, FileReader } from "./read-file.js";
import { resolveSameAs, type SameAs } from "./same-as.js";
import { checkSchema } from "./schema-check.js";
import { SourceDoc } from "./source-doc.js";
import type { ActionSpec, ConditionSpec, ExampleSpec, Spec, TableSpec } from "./types.js";
import { validateSpec } from "./validate.js";

/**
 * A check run over the loaded spec beside validateSpec (the compiler's checks: paths, constants,
 * row sizes), so that one load reports every issue. Injected: the loader does not depend on compile.
 */
export type SpecCheck = (spec: Spec) => SpecIssue[];

export interface LoadResult {
  readonly spec: Spec;
  readonly issues: readonly SpecIssue[];
}

/** Reads every *.yaml / *.yml file of a folder (sorted), validates all of them, and merges them. */
export function loadSpecDir(dir: string, checks: readonly SpecCheck[] = []): LoadResult {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort();
  } catch {
    const pos = { file: dir, line: 1, col: 1 };
    return {
      spec: emptySpec(),
      issues: [
        issue(
          pos,
          `projections folder ${dir} cannot be read`,
          "pass --projections <dir> or set PROJECTOR_PROJECTIONS",
        ),
      ],
    };
  }
  const files = names
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile())
    .map((p) => ({ file: displayPath(p), text: readFileSync(p, "utf8") }));
  if (files.length === 0) {
    const pos = { file: dir, line: 1, col: 1 };
    return { spec: emptySpec(), issues: [issue(pos, `no *.yaml projection files in ${dir}`)] };
  }
  return loadSpecTexts(files, checks);
}

/** Like loadSpecDir, but throws a SpecError listing every issue. */
export function loadSpecDirOrThrow(dir: string, checks: readonly SpecCheck[] = []): Spec {
  const { spec, issues } = loadSpecDir(dir, checks);
  if (issues.length > 0) throw new SpecError(issues);
  return spec;
}

function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel.startsWith("..") ? p : rel;
}

function emptySpec(): Spec {
  return { tables: new Map(), events: new Map(), conditions: new Map(), examples: [], files: [] };
}

/** Loads specs from in-memory texts: the pure core of loading, used by tests. */
export function loadSpecTexts(
  files: readonly { file: string; text: string }[],
  checks: readonly SpecCheck[] = [],
): LoadResult {
  const issues: SpecIssue[] = [];
  const tables = new Map<string, TableSpec>();
  const events = new Map<string, ActionSpec[]>();
  const conditions = new Map<string, ConditionSpec>();
  const sameAs: SameAs[] = [];
  const examples: ExampleSpec[] = [];
  const extensions: Extension[] = [];
  for (const { file, text } of files) {
    const parsed = SourceDoc.parse(file, text);
    issues.push(...parsed.issues);
    if (parsed.issues.length > 0) continue;
    const read = parsed.source.data();
    if ("issue" in read) {
      issues.push(read.issue);
      continue;
    }
    const data = read.value ?? {};
    const schemaIssues = checkSchema(parsed.source, data);
    issues.push(...schemaIssues);
    if (schemaIssues.length > 0) continue;
    const reader = new FileReader(parsed.source, issues);
    reader.read(data as RawFile, { tables, extensions, events, conditions, sameAs, examples });
  }
  applyExtensions(tables, extensions, issues);
  resolveSameAs(sameAs, events, conditions, issues);
  const spec: Spec = { tables, events, conditions, examples, files: files.map((f) => f.file) };
  if (issues.length === 0) {
    issues.push(...validateSpec(spec));
    for (const check of checks) issues.push(...check(spec));
  }
  return { spec, issues: sortIssues(issues) };
}

/**
 * Issues in file and position order, each reported once: the same problem found twice at one place
 * (a block reused through a YAML alias is checked for every use) is one issue, told with the alias
 * of its first use.
 */
function sortIssues(issues: SpecIssue[]): SpecIssue[] {
  const once = new Map<string, SpecIssue>();
  for (const i of issues) {
    const at = `${i.file}:${i.line}:${i.col}`;
    // The same problem at one place is one issue; a block used through aliases is told once, with
    // the alias of its first use, unless it is also used where it stands.
    const k = i.via ? at : `${at}:${i.message}`;
    const seen = once.get(k) ?? once.get(`${at}:${i.message}`);
    if (!seen) once.set(k, i);
    else if (seen.via && !i.via) {
      once.delete(`${at}`);
      once.set(`${at}:${i.message}`, i);
    }
  }
  return [...once.values()].sort((a, b) =>
    a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1,
  );
}

/**
 * Adds the columns and indexes of `extend:` entries to the tables other files declare: a domain
 * team adds `orders.shipped_at` from its own file. An added column must be nullable or have a
 * default (the owner's inserts do not write it), and may not be one the table has.
 */
function applyExtensions(
  tables: Map<string, TableSpec>,
  extensions: readonly Extension[],
  issues: SpecIssue[],
): void {
  for (const e of extensions) {
    const t = tables.get(e.table);
    if (!t) {
      issues.push(
        issue(
          e.pos,
          `extend names table ${e.table}, which no projection file declares`,
          didYouMean(e.table, tables.keys()) ??
            "extend adds to a table declared under tables: in another file",
        ),
      );
      continue;
    }
    if (e.pos.file === t.pos.file)
      issues.push(
        issue(
          e.pos,
          `${e.table} is declared in this file: extend is for tables of other files`,
          `add the columns under tables.${e.table}.columns`,
        ),
      );
    const columns = new Map(t.columns);
    for (const [name, c] of e.columns) {
      const existing = columns.get(name);
      if (existing) {
        issues.push(
          issue(
            c.pos,
            `${e.table} already has a column ${name} (${existing.pos.file}:${existing.pos.line}:${existing.pos.col})`,
            "write to it as it is, or add a column of another name",
          ),
        );
        continue;
      }
      if (!c.nullable && c.default === undefined && !c.generated)
        issues.push(
          issue(
            c.pos,
            `column ${e.table}.${name}, added by extend, must be nullable or have a default`,
            `the actions of ${t.pos.file} do not write it: add nullable: true or a default`,
          ),
        );
      columns.set(name, c);
    }
    tables.set(e.table, { ...t, columns, indexes: [...t.indexes, ...e.indexes] });
  }
}
