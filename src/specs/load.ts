import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseColumnType, TYPE_NAMES } from "./column-type.js";
import { issue, SpecError, type SpecIssue } from "./issues.js";
import { checkSchema } from "./schema-check.js";
import { type JsonPath, SourceDoc } from "./source-doc.js";
import {
  ACTION_MODES,
  type ActionMode,
  type ActionSpec,
  type ColumnSpec,
  type ColumnValue,
  type ExampleSpec,
  type ExpectedOp,
  type KeySpec,
  type Scalar,
  type SourcePos,
  type Spec,
  type TableSpec,
  type ValueSpec,
} from "./types.js";
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
  return { tables: new Map(), events: new Map(), examples: [], files: [] };
}

/** Loads specs from in-memory texts: the pure core of loading, used by tests. */
export function loadSpecTexts(
  files: readonly { file: string; text: string }[],
  checks: readonly SpecCheck[] = [],
): LoadResult {
  const issues: SpecIssue[] = [];
  const tables = new Map<string, TableSpec>();
  const events = new Map<string, ActionSpec[]>();
  const examples: ExampleSpec[] = [];
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
    reader.read(data as RawFile, tables, events, examples);
  }
  const spec: Spec = { tables, events, examples, files: files.map((f) => f.file) };
  if (issues.length === 0) {
    issues.push(...validateSpec(spec));
    for (const check of checks) issues.push(...check(spec));
  }
  return { spec, issues: sortIssues(issues) };
}

function sortIssues(issues: SpecIssue[]): SpecIssue[] {
  return [...issues].sort((a, b) =>
    a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1,
  );
}

type RawValue = Scalar | { const?: Scalar; coalesce?: string[]; path?: string; keep_existing?: boolean };
type RawValueMap = Record<string, RawValue>;
type RawKey = string[] | { name?: string; columns: string[] };
interface RawTable {
  columns: Record<string, { type: string; nullable?: boolean; default?: Scalar; comment?: string }>;
  primary_key: string[];
  unique?: RawKey[];
  indexes?: RawKey[];
  parent?: { table: string; columns: string[] };
  guard?: string;
  stamp?: RawValueMap;
  comment?: string;
}
type RawAction = Partial<Record<ActionMode, string>> & {
  columns?: RawValueMap;
  where?: RawValueMap;
  set?: RawValueMap;
  for_each?: string;
  column?: string;
  value?: RawValue;
};
interface RawFile {
  tables?: Record<string, RawTable>;
  events?: Record<string, RawAction[]>;
  examples?: {
    name: string;
    given?: unknown[];
    event: unknown;
    expect?: (Partial<Record<ActionMode, string>> & Record<string, unknown>)[];
    stale?: string[];
    error?: string;
  }[];
}

/** Turns one schema-valid file into the normalized model, with a position on everything. */
class FileReader {
  constructor(
    private readonly src: SourceDoc,
    private readonly issues: SpecIssue[],
  ) {}

  read(
    raw: RawFile,
    tables: Map<string, TableSpec>,
    events: Map<string, ActionSpec[]>,
    examples: ExampleSpec[],
  ) {
    for (const [name, t] of Object.entries(raw.tables ?? {})) {
      const path = ["tables", name];
      const existing = tables.get(name);
      if (existing) {
        this.issues.push(
          issue(
            this.src.pos(path, true),
            `table ${name} is already declared at ${existing.pos.file}:${existing.pos.line}:${existing.pos.col}`,
            "declare each table once; other files can still write to it",
          ),
        );
        continue;
      }
      tables.set(name, this.table(name, t, path));
    }
    for (const [eventType, actions] of Object.entries(raw.events ?? {})) {
      const list = events.get(eventType) ?? [];
      actions.forEach((a, i) => {
        const action = this.action(eventType, a, ["events", eventType, i], list.length);
        if (action) list.push(action);
      });
      events.set(eventType, list);
    }
    (raw.examples ?? []).forEach((ex, i) => {
      const path = ["examples", i];
      examples.push({
        name: ex.name,
        given: ex.given ?? [],
        event: ex.event,
        expect: ex.expect?.map((op, j) => this.expected(op, [...path, "expect", j])),
        stale: ex.stale ?? [],
        error: ex.error,
        pos: this.src.pos(path),
        eventTypePos: this.src.pos([...path, "event", "event_type"]),
      });
    });
  }

  private table(name: string, t: RawTable, path: JsonPath): TableSpec {
    const columns = new Map<string, ColumnSpec>();
    for (const [col, c] of Object.entries(t.columns)) {
      const cpath = [...path, "columns", col];
      const parsed = parseColumnType(c.type);
      if ("error" in parsed) {
        this.issues.push(
          issue(
            this.src.pos([...cpath, "type"]),
            `column ${name}.${col}: ${parsed.error}`,
            `use one of: ${TYPE_NAMES.join(", ")}`,
          ),
        );
        continue;
      }
      columns.set(col, {
        name: col,
        type: parsed,
        typeText: c.type,
        nullable: c.nullable ?? false,
        default: c.default,
        pos: this.src.pos(cpath, true),
        ...(c.nullable === undefined ? {} : { nullablePos: this.src.pos([...cpath, "nullable"]) }),
        ...(c.default === undefined ? {} : { defaultPos: this.src.pos([...cpath, "default"]) }),
        ...(c.comment === undefined ? {} : { comment: c.comment }),
      });
    }
    const key = (k: RawKey, i: number, kind: "unique" | "indexes", prefix: string): KeySpec => {
      const cols = Array.isArray(k) ? k : k.columns;
      const explicit = Array.isArray(k) ? undefined : k.name;
      return {
        name: explicit ?? `${prefix}_${name}_${cols.join("_")}`.slice(0, 64),
        columns: cols,
        pos: this.src.pos([...path, kind, i]),
      };
    };
    return {
      name,
      columns,
      primaryKey: t.primary_key,
      uniques: (t.unique ?? []).map((k, i) => key(k, i, "unique", "uq")),
      indexes: (t.indexes ?? []).map((k, i) => key(k, i, "indexes", "idx")),
      parent: t.parent
        ? {
            table: t.parent.table,
            columns: t.parent.columns,
            pos: this.src.pos([...path, "parent"]),
            tablePos: this.src.pos([...path, "parent", "table"]),
            columnsPos: this.src.pos([...path, "parent", "columns"]),
          }
        : undefined,
      guard: t.guard,
      ...(t.guard === undefined ? {} : { guardPos: this.src.pos([...path, "guard"]) }),
      stamp: new Map(this.values(t.stamp ?? {}, [...path, "stamp"]).map((v) => [v.column, v.value])),
      ...(t.comment === undefined ? {} : { comment: t.comment }),
      pos: this.src.pos(path, true),
    };
  }

  private action(eventType: string, a: RawAction, path: JsonPath, index: number): ActionSpec | undefined {
    const modes = ACTION_MODES.filter((m) => typeof a[m] === "string");
    if (modes.length !== 1) {
      this.issues.push(
        issue(
          // several modes: point at the second one, the one to remove
          this.src.pos(modes.length > 1 ? [...path, modes[1]!] : path, modes.length > 1),
          modes.length === 0
            ? `action of ${eventType} has no mode`
            : `action of ${eventType} has ${modes.length} modes (${modes.join(", ")})`,
          `give exactly one of: ${ACTION_MODES.join(", ")}`,
        ),
      );
      return undefined;
    }
    const mode = modes[0]!;
    const allowed: Record<ActionMode, string[]> = {
      upsert: ["columns"],
      append: ["columns"],
      update: ["where", "set"],
      soft_delete: ["where", "column", "value", "set"],
      delete: ["where"],
      replace: ["where", "for_each", "columns"],
    };
    const required: Record<ActionMode, string[]> = {
      upsert: ["columns"],
      append: ["columns"],
      update: ["where", "set"],
      soft_delete: ["where", "column"],
      delete: ["where"],
      replace: ["where", "for_each", "columns"],
    };
    let ok = true;
    for (const k of Object.keys(a)) {
      if (k === mode || allowed[mode].includes(k)) continue;
      ok = false;
      this.issues.push(
        issue(
          this.src.pos([...path, k], true),
          `"${k}" does not apply to ${mode}`,
          `${mode} takes: ${allowed[mode].join(", ")}`,
        ),
      );
    }
    for (const k of required[mode]) {
      if (a[k as keyof RawAction] === undefined) {
        ok = false;
        this.issues.push(
          issue(this.src.pos([...path, mode], true), `${mode} of ${eventType} needs "${k}"`, `add ${k}: …`),
        );
      }
    }
    if (!ok) return undefined;
    let columns: ColumnValue[];
    if (mode === "update") columns = this.values(a.set ?? {}, [...path, "set"]);
    else if (mode === "soft_delete") {
      const column = a.column!;
      const value: RawValue = a.value ?? "$.timestamp";
      const [ts] = this.values({ [column]: value }, [...path, a.value === undefined ? "column" : "value"]);
      columns = [
        ...(ts ? [{ ...ts, pos: this.src.pos([...path, "column"]) }] : []),
        ...this.values(a.set ?? {}, [...path, "set"]),
      ];
    } else columns = this.values(a.columns ?? {}, [...path, "columns"]);
    let forEach: ActionSpec["forEach"];
    if (a.for_each !== undefined) {
      const v = this.value(a.for_each, [...path, "for_each"]);
      if (v.kind === "path" && v.root === "event") forEach = v;
      else
        this.issues.push(
          issue(
            this.src.pos([...path, "for_each"]),
            "for_each must be an envelope path like $.data.items",
            "start it with $, which reads the event; @ paths are for the columns of each element",
          ),
        );
    }
    return {
      mode,
      table: a[mode]!,
      columns,
      where: this.values(a.where ?? {}, [...path, "where"]),
      forEach,
      eventType,
      index,
      pos: this.src.pos(path),
      tablePos: this.src.pos([...path, mode]),
    };
  }

  private values(map: RawValueMap, path: JsonPath): ColumnValue[] {
    return Object.entries(map).map(([column, raw]) => {
      const vpath = [...path, column];
      const keepExisting = raw !== null && typeof raw === "object" && raw.keep_existing === true;
      return { column, value: this.value(raw, vpath), keepExisting, pos: this.src.pos(vpath, true) };
    });
  }

  private value(raw: RawValue, path: JsonPath): ValueSpec {
    const pos = this.src.pos(path);
    if (raw !== null && typeof raw === "object") {
      if ("const" in raw) return { kind: "const", value: raw.const ?? null, pos };
      if (raw.coalesce) {
        const paths = raw.coalesce.map((p, i) => this.value(p, [...path, "coalesce", i]));
        const onlyPaths = paths.filter((p): p is ValueSpec & { kind: "path" } => p.kind === "path");
        if (onlyPaths.length !== paths.length) {
          this.issues.push(
            issue(
              pos,
              "coalesce takes paths only",
              "use $… or @… paths; add a constant as a default column value",
            ),
          );
        }
        return { kind: "coalesce", paths: onlyPaths, pos };
      }
      return this.value(raw.path ?? null, [...path, "path"]);
    }
    if (typeof raw === "string") {
      if (raw === "@key") return { kind: "key", pos };
      if (raw === "@index") return { kind: "index", pos };
      if (raw === "@position") return { kind: "position", pos };
      if (raw.startsWith("$")) return { kind: "path", root: "event", path: raw, pos };
      if (raw.startsWith("@")) return { kind: "path", root: "element", path: raw, pos };
    }
    return { kind: "const", value: raw, pos };
  }

  private expected(op: Record<string, unknown>, path: JsonPath): ExpectedOp {
    const mode = ACTION_MODES.find((m) => typeof op[m] === "string");
    if (!mode) {
      this.issues.push(
        issue(
          this.src.pos(path),
          "expected operation has no mode",
          `give one of: ${ACTION_MODES.join(", ")}`,
        ),
      );
    }
    const out: Record<string, unknown> = {
      mode: mode ?? "upsert",
      table: mode ? op[mode] : "",
      pos: this.src.pos(path),
    };
    for (const k of ["row", "rows", "where", "set", "absent"]) if (op[k] !== undefined) out[k] = op[k];
    const columnPos = new Map<string, SourcePos>();
    const note = (column: unknown, at: JsonPath, key: boolean) => {
      if (typeof column === "string" && !columnPos.has(column)) columnPos.set(column, this.src.pos(at, key));
    };
    for (const k of ["row", "where", "set"]) {
      const m = op[k];
      if (m && typeof m === "object") for (const c of Object.keys(m)) note(c, [...path, k, c], true);
    }
    if (Array.isArray(op.rows))
      op.rows.forEach((r, i) => {
        if (r && typeof r === "object")
          for (const c of Object.keys(r)) note(c, [...path, "rows", i, c], true);
      });
    if (Array.isArray(op.absent)) op.absent.forEach((c, i) => note(c, [...path, "absent", i], false));
    out.columnPos = columnPos;
    return out as unknown as ExpectedOp;
  }
}
