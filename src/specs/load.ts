import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { TRANSFORMS } from "../language/registry.js";
import { isOptionIssue, type TransformDef } from "../language/transform.js";
import { parseColumnType, TYPE_NAMES } from "./column-type.js";
import { parseGenerated } from "./generated.js";
import { didYouMean, issue, SpecError, type SpecIssue } from "./issues.js";
import { MODES } from "./modes/registry.js";
import { checkSchema } from "./schema-check.js";
import { type JsonPath, SourceDoc } from "./source-doc.js";
import {
  type ActionMode,
  type ActionSpec,
  COMPARE_OPS,
  type ColumnSpec,
  type ColumnValue,
  type CompareOp,
  type ConditionSpec,
  type DatePart,
  type ExampleSpec,
  type ExpectedOp,
  type GeneratedSpec,
  type KeySpec,
  type Scalar,
  type SourcePos,
  type Spec,
  type TableSpec,
  type TransformOptions,
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
    reader.read(data as RawFile, { tables, events, conditions, sameAs, examples });
  }
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

/** `event: { same_as: other }`: its actions are the other event type's, resolved once all files are read. */
interface SameAs {
  readonly eventType: string;
  readonly target: string;
  readonly pos: SourcePos;
  readonly when: ConditionSpec | undefined;
}

function resolveSameAs(
  pending: readonly SameAs[],
  events: Map<string, ActionSpec[]>,
  conditions: Map<string, ConditionSpec>,
  issues: SpecIssue[],
): void {
  const byType = new Map(pending.map((p) => [p.eventType, p]));
  const resolve = (p: SameAs, chain: string[]): ActionSpec[] | undefined => {
    if (chain.includes(p.target)) {
      issues.push(
        issue(
          p.pos,
          `same_as of ${p.eventType} loops: ${[...chain, p.target].join(" → ")}`,
          "point same_as at an event type with actions",
        ),
      );
      return undefined;
    }
    const next = byType.get(p.target);
    if (next && !events.get(p.target)?.length) return resolve(next, [...chain, p.target]);
    const actions = events.get(p.target);
    if (!actions?.length) {
      issues.push(
        issue(
          p.pos,
          `same_as of ${p.eventType}: event type ${p.target} has no actions`,
          didYouMean(p.target, events.keys()) ?? "name an event type declared under events:",
        ),
      );
      return undefined;
    }
    return actions;
  };
  for (const p of pending) {
    const actions = resolve(p, [p.eventType]);
    if (!actions) continue;
    // The same actions, as this event type's own (with the reused block's positions, for messages).
    events.set(
      p.eventType,
      actions.map((a, index) => ({ ...a, eventType: p.eventType, index })),
    );
    if (p.when) conditions.set(p.eventType, p.when);
  }
}

type RawValue = Scalar | ({ [form: string]: unknown } & { keep_existing?: boolean });
type RawValueMap = Record<string, RawValue>;
type RawKey = string[] | { name?: string; columns: string[] };
type RawCondition = Record<string, unknown>;
interface RawColumn {
  type: string;
  nullable?: boolean;
  default?: Scalar;
  comment?: string;
  generated?: string | { as: string; stored?: boolean };
}
interface RawTable {
  columns: Record<string, RawColumn>;
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
  when?: RawCondition;
};
type RawEvent = RawAction[] | { actions?: RawAction[]; same_as?: string; when?: RawCondition };
interface RawFile {
  defaults?: { stamp?: RawValueMap };
  tables?: Record<string, RawTable>;
  events?: Record<string, RawEvent>;
  examples?: {
    name: string;
    given?: unknown[];
    event: unknown;
    expect?: (Partial<Record<ActionMode, string>> & Record<string, unknown>)[];
    stale?: string[];
    error?: string;
    filtered?: boolean;
  }[];
}

/** Where a file's reading goes. */
interface Into {
  readonly tables: Map<string, TableSpec>;
  readonly events: Map<string, ActionSpec[]>;
  readonly conditions: Map<string, ConditionSpec>;
  readonly sameAs: SameAs[];
  readonly examples: ExampleSpec[];
}

/** The value forms other than a path or a constant, for messages. */
const VALUE_FORMS = ["const", "path", "coalesce", ...TRANSFORMS.keys(), "test"];

/** Transforms of a list of values (the others take one value, some with options). */

/** Turns one schema-valid file into the normalized model, with a position on everything. */
class FileReader {
  constructor(
    private readonly src: SourceDoc,
    private readonly issues: SpecIssue[],
  ) {}

  read(raw: RawFile, into: Into) {
    const stampDefault = raw.defaults?.stamp;
    for (const [name, t] of Object.entries(raw.tables ?? {})) {
      const path = ["tables", name];
      const existing = into.tables.get(name);
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
      into.tables.set(name, this.table(name, t, path, stampDefault));
    }
    for (const [eventType, rawEvent] of Object.entries(raw.events ?? {})) {
      const epath = ["events", eventType];
      const form = Array.isArray(rawEvent) ? { actions: rawEvent } : rawEvent;
      const when = form.when === undefined ? undefined : this.condition(form.when, [...epath, "when"]);
      if (form.same_as !== undefined) {
        if (form.actions !== undefined) {
          this.issues.push(
            issue(
              this.src.pos([...epath, "actions"], true),
              `${eventType} has both same_as and actions`,
              "give one of them: same_as reuses another event type's actions as they are",
            ),
          );
          continue;
        }
        into.sameAs.push({ eventType, target: form.same_as, pos: this.src.pos([...epath, "same_as"]), when });
        continue;
      }
      if (!form.actions) {
        this.issues.push(
          issue(
            this.src.pos(epath, true),
            `${eventType} has no actions`,
            "give actions: [...] or same_as: <event type>",
          ),
        );
        continue;
      }
      const apath = Array.isArray(rawEvent) ? epath : [...epath, "actions"];
      const list = into.events.get(eventType) ?? [];
      form.actions.forEach((a, i) => {
        const action = this.action(eventType, a, [...apath, i], list.length);
        if (action) list.push(action);
      });
      into.events.set(eventType, list);
      if (when) into.conditions.set(eventType, when);
    }
    (raw.examples ?? []).forEach((ex, i) => {
      const path = ["examples", i];
      into.examples.push({
        name: ex.name,
        given: ex.given ?? [],
        event: ex.event,
        expect: ex.expect?.map((op, j) => this.expected(op, [...path, "expect", j])),
        stale: ex.stale ?? [],
        error: ex.error,
        ...(ex.filtered === undefined ? {} : { filtered: ex.filtered }),
        pos: this.src.pos(path),
        eventTypePos: this.src.pos([...path, "event", "event_type"]),
      });
    });
  }

  private table(name: string, t: RawTable, path: JsonPath, stampDefault: RawValueMap | undefined): TableSpec {
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
      const generated =
        c.generated === undefined
          ? undefined
          : this.generated(name, col, c.generated, [...cpath, "generated"]);
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
        ...(generated ? { generated } : {}),
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
    const stamp = t.stamp ?? stampDefault;
    const stampPath = t.stamp ? [...path, "stamp"] : ["defaults", "stamp"];
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
      stamp: new Map(this.values(stamp ?? {}, stampPath).map((v) => [v.column, v.value])),
      ...(t.comment === undefined ? {} : { comment: t.comment }),
      pos: this.src.pos(path, true),
    };
  }

  private generated(
    table: string,
    column: string,
    raw: string | { as: string; stored?: boolean },
    path: JsonPath,
  ): GeneratedSpec | undefined {
    const expression = typeof raw === "string" ? raw : raw.as;
    const exprPath = typeof raw === "string" ? path : [...path, "as"];
    const tokens = parseGenerated(expression);
    if ("error" in tokens) {
      this.issues.push(
        issue(
          this.src.pos(exprPath),
          `generated column ${table}.${column}: ${tokens.error}`,
          'write an expression over this table\'s columns, e.g. generated: { as: "amount_cents / 100", stored: true }',
        ),
      );
      return undefined;
    }
    return {
      expression,
      tokens,
      stored: typeof raw === "string" ? false : raw.stored === true,
      pos: this.src.pos(exprPath),
    };
  }

  private action(eventType: string, a: RawAction, path: JsonPath, index: number): ActionSpec | undefined {
    const modes = [...MODES.keys()].filter((m) => typeof a[m] === "string");
    if (modes.length !== 1) {
      this.issues.push(
        issue(
          // several modes: point at the second one, the one to remove
          this.src.pos(modes.length > 1 ? [...path, modes[1]!] : path, modes.length > 1),
          modes.length === 0
            ? `action of ${eventType} has no mode`
            : `action of ${eventType} has ${modes.length} modes (${modes.join(", ")})`,
          `give exactly one of: ${[...MODES.keys()].join(", ")}`,
        ),
      );
      return undefined;
    }
    const mode = modes[0]!;
    const def = MODES.get(mode)!;
    const allowed = [...def.keys, "when"];
    let ok = true;
    for (const k of Object.keys(a)) {
      if (k === mode || allowed.includes(k)) continue;
      ok = false;
      this.issues.push(
        issue(
          this.src.pos([...path, k], true),
          `"${k}" does not apply to ${mode}`,
          `${mode} takes: ${allowed.join(", ")}`,
        ),
      );
    }
    for (const k of def.required) {
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
    const when = a.when === undefined ? undefined : this.condition(a.when, [...path, "when"]);
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
      ...(when ? { when } : {}),
    };
  }

  private values(map: RawValueMap, path: JsonPath): ColumnValue[] {
    return Object.entries(map).map(([column, raw]) => {
      const vpath = [...path, column];
      const keepExisting = raw !== null && typeof raw === "object" && raw.keep_existing === true;
      return { column, value: this.value(raw, vpath), keepExisting, pos: this.src.pos(vpath, true) };
    });
  }

  private bad(path: JsonPath, message: string, hint: string): ValueSpec {
    const pos = this.src.pos(path);
    this.issues.push(issue(pos, message, hint));
    return { kind: "const", value: null, pos };
  }

  private value(raw: unknown, path: JsonPath): ValueSpec {
    const pos = this.src.pos(path);
    if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
      const o = raw as Record<string, unknown>;
      if ("const" in o) return { kind: "const", value: (o.const ?? null) as Scalar, pos };
      if ("coalesce" in o) {
        const list = Array.isArray(o.coalesce) ? o.coalesce : [];
        const paths = list.map((p, i) => this.value(p, [...path, "coalesce", i]));
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
      if ("path" in o) return this.value(o.path ?? null, [...path, "path"]);
      if ("test" in o) return { kind: "test", condition: this.condition(o.test, [...path, "test"]), pos };
      const def = [...TRANSFORMS.values()].find((t) => t.name in o);
      if (def) return this.transform(def, o, path);
      const form = Object.keys(o).find((k) => k !== "keep_existing") ?? "(none)";
      return this.bad(
        path,
        `unknown value form ${JSON.stringify(form)}`,
        `a value is a path ($… or @…), a constant, or one of the forms ${VALUE_FORMS.map((f) => `{ ${f}: … }`).join(", ")} (docs/spec-language.md)`,
      );
    }
    if (Array.isArray(raw))
      return this.bad(path, "a list is not a value", "write one value: a path, a constant or a { … } form");
    if (typeof raw === "string") {
      if (raw === "@key") return { kind: "key", pos };
      if (raw === "@index") return { kind: "index", pos };
      if (raw === "@position") return { kind: "position", pos };
      if (raw.startsWith("$")) return { kind: "path", root: "event", path: raw, pos };
      if (raw.startsWith("@")) return { kind: "path", root: "element", path: raw, pos };
    }
    return { kind: "const", value: raw as Scalar, pos };
  }

  /** A transform `{ <name>: …, <options> }`, read as its definition says (src/language/transforms/). */
  private transform(def: TransformDef, o: Record<string, unknown>, path: JsonPath): ValueSpec {
    const name = def.name;
    const pos = this.src.pos(path);
    const arg = o[name];
    const tpath = [...path, name];
    let args: ValueSpec[];
    let unit: string | undefined;
    const input = def.input;
    if (input.kind === "list") {
      if (!Array.isArray(arg) || arg.length < input.min)
        return this.bad(
          tpath,
          `${name} takes a list of ${input.min === 1 ? "one or more" : "two or more"} values`,
          `write ${name}: [$.data.a, $.data.b]`,
        );
      args = arg.map((a, i) => this.value(a, [...tpath, i]));
    } else if (input.kind === "unit") {
      if (typeof arg !== "string" || !input.units.includes(arg))
        return this.bad(
          tpath,
          `${name} takes a unit: one of ${input.units.join(", ")}`,
          `write { ${name}: day, ${input.of}: $.data.created_at }`,
        );
      if (!(input.of in o))
        return this.bad(
          path,
          `${name} needs "${input.of}": the datetime to take the ${name === "part" ? "part" : "truncation"} of`,
          `write { ${name}: ${arg}, ${input.of}: $.data.created_at }`,
        );
      unit = arg;
      args = [this.value(o[input.of], [...path, input.of])];
    } else args = [this.value(arg, tpath)];
    const allowed = [...Object.keys(def.options), ...(input.kind === "unit" ? [input.of] : [])];
    for (const k of Object.keys(o)) {
      if (k === name || k === "keep_existing" || allowed.includes(k)) continue;
      this.issues.push(
        issue(
          this.src.pos([...path, k], true),
          `"${k}" does not apply to ${name}`,
          Object.keys(def.options).length
            ? `${name} takes: ${allowed.join(", ")}`
            : `${name} takes its value only`,
        ),
      );
    }
    const parsed = def.parse ? def.parse(o) : {};
    if (isOptionIssue(parsed))
      return this.bad(parsed.at === undefined ? path : [...path, parsed.at], parsed.issue, parsed.hint);
    const options: TransformOptions = unit === undefined ? parsed : { ...parsed, unit: unit as DatePart };
    return { kind: "transform", name, args, options, pos };
  }

  /** A condition: `{ path|value: …, eq|ne|lt|lte|gt|gte: … }`, `{ …, in: [...] }`, `{ …, exists|absent: true }`, `{ all|any: [...] }`, `{ not: … }`. */
  private condition(raw: unknown, path: JsonPath): ConditionSpec {
    const pos = this.src.pos(path);
    const fail = (message: string, hint: string): ConditionSpec => {
      this.issues.push(issue(pos, message, hint));
      return { kind: "all", of: [], pos };
    };
    if (raw === null || typeof raw !== "object" || Array.isArray(raw))
      return fail(
        "a condition is a map",
        "write { path: $.data.channel, eq: web }, or all / any / not of conditions",
      );
    const o = raw as Record<string, unknown>;
    for (const k of ["all", "any"] as const)
      if (k in o) {
        if (!Array.isArray(o[k]) || (o[k] as unknown[]).length === 0)
          return fail(
            `${k} takes a list of conditions`,
            `write ${k}: [{ path: $.a, eq: 1 }, { path: $.b, gt: 0 }]`,
          );
        return { kind: k, of: (o[k] as unknown[]).map((c, i) => this.condition(c, [...path, k, i])), pos };
      }
    if ("not" in o) return { kind: "not", of: this.condition(o.not, [...path, "not"]), pos };
    const subject = "path" in o ? "path" : "value" in o ? "value" : undefined;
    if (!subject)
      return fail(
        "a condition names what it tests: path: $… (or value: … for a transformed value)",
        "write { path: $.data.amount_cents, gt: 0 }; combine with all / any / not",
      );
    const left = this.value(o[subject], [...path, subject]);
    const ops = [...COMPARE_OPS, "in", "exists", "absent"].filter((k) => k in o);
    if (ops.length !== 1)
      return fail(
        ops.length === 0
          ? "a condition needs a test"
          : `a condition has ${ops.length} tests (${ops.join(", ")})`,
        `give exactly one of: ${[...COMPARE_OPS, "in", "exists", "absent"].join(", ")}`,
      );
    const op = ops[0]!;
    const extra = Object.keys(o).filter((k) => k !== subject && k !== op);
    if (extra.length > 0)
      return fail(
        `unknown key "${extra[0]}" in a condition`,
        didYouMean(extra[0]!, [...COMPARE_OPS, "in", "exists", "absent", "path", "value"]) ??
          "a condition is { path, <test> }",
      );
    if (op === "exists" || op === "absent") {
      if (o[op] !== true) return fail(`${op} takes true`, `write { path: …, ${op}: true }`);
      return { kind: op, value: left, pos };
    }
    if (op === "in") {
      const values = o.in;
      if (!Array.isArray(values) || values.some((v) => v !== null && typeof v === "object"))
        return fail("in takes a list of constants", "write { path: $.data.currency, in: [USD, EUR] }");
      return { kind: "in", left, values: values as Scalar[], pos };
    }
    const right = o[op];
    return { kind: "compare", op: op as CompareOp, left, right: this.value(right, [...path, op]), pos };
  }

  private expected(op: Record<string, unknown>, path: JsonPath): ExpectedOp {
    const mode = [...MODES.keys()].find((m) => typeof op[m] === "string");
    if (!mode) {
      this.issues.push(
        issue(
          this.src.pos(path),
          "expected operation has no mode",
          `give one of: ${[...MODES.keys()].join(", ")}`,
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
