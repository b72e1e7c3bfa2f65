import { parseColumnType, TYPE_NAMES } from "./column-type.js";
import { parseGenerated } from "./generated.js";
import { issue, type SpecIssue } from "./issues.js";
import { MODES } from "./modes/registry.js";
import type { RawAction, RawColumn, RawFile, RawKey, RawTable, RawValue, RawValueMap } from "./raw.js";
import { ValueReader } from "./read-value.js";
import type { SameAs } from "./same-as.js";
import type { JsonPath, SourceDoc } from "./source-doc.js";
import type {
  ActionSpec,
  AggregateSpec,
  ColumnSpec,
  ColumnValue,
  ConditionSpec,
  ExampleSpec,
  ExpectedOp,
  GeneratedSpec,
  KeySpec,
  SourcePos,
  TableSpec,
} from "./types.js";

/** Columns and indexes a file adds to a table declared in another file (`extend:`). */
export interface Extension {
  readonly table: string;
  readonly columns: ReadonlyMap<string, ColumnSpec>;
  readonly indexes: readonly KeySpec[];
  /** Position of the table's name under extend. */
  readonly pos: SourcePos;
}

/** Where a file's reading goes. */
export interface Into {
  readonly tables: Map<string, TableSpec>;
  readonly extensions: Extension[];
  readonly events: Map<string, ActionSpec[]>;
  readonly conditions: Map<string, ConditionSpec>;
  readonly sameAs: SameAs[];
  readonly examples: ExampleSpec[];
}

/** Turns one schema-valid file into the normalized model, with a position on everything. */
export class FileReader {
  private readonly reader: ValueReader;
  constructor(
    private readonly src: SourceDoc,
    private readonly issues: SpecIssue[],
  ) {
    this.reader = new ValueReader(src, issues);
  }

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
    for (const [name, e] of Object.entries(raw.extend ?? {})) {
      const path = ["extend", name];
      into.extensions.push({
        table: name,
        columns: this.columns(name, e.columns ?? {}, path),
        indexes: (e.indexes ?? []).map((k, i) =>
          this.key(name, k, this.src.pos([...path, "indexes", i]), "idx"),
        ),
        pos: this.src.pos(path, true),
      });
    }
    for (const [eventType, rawEvent] of Object.entries(raw.events ?? {})) {
      const epath = ["events", eventType];
      const form = Array.isArray(rawEvent) ? { actions: rawEvent } : rawEvent;
      const when = form.when === undefined ? undefined : this.reader.condition(form.when, [...epath, "when"]);
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
      form.actions.forEach((a, i) => this.pushAction(eventType, a, [...apath, i], list, undefined));
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
    const columns = this.columns(name, t.columns, path);
    const key = (k: RawKey, i: number, kind: "unique" | "indexes", prefix: string): KeySpec =>
      this.key(name, k, this.src.pos([...path, kind, i]), prefix);
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
      ...(t.guards === undefined
        ? {}
        : {
            guardGroups: Object.entries(t.guards).map(([guard, columns]) => ({
              guard,
              columns,
              pos: this.src.pos([...path, "guards", guard], true),
            })),
          }),
      stamp: new Map(this.reader.values(stamp ?? {}, stampPath).map((v) => [v.column, v.value])),
      ...(t.stamp === undefined && stampDefault !== undefined ? { stampFromDefaults: true } : {}),
      ...(t.comment === undefined ? {} : { comment: t.comment }),
      pos: this.src.pos(path, true),
    };
  }

  /** A unique key or index: its columns, and its name (given, or made from the columns). */
  private key(table: string, k: RawKey, pos: SourcePos, prefix: string): KeySpec {
    const cols = Array.isArray(k) ? k : k.columns;
    const explicit = Array.isArray(k) ? undefined : k.name;
    return { name: explicit ?? `${prefix}_${table}_${cols.join("_")}`.slice(0, 64), columns: cols, pos };
  }

  /** The columns of a table (or of an extension of it), under `path`.columns. */
  private columns(name: string, raw: Record<string, RawColumn>, path: JsonPath): Map<string, ColumnSpec> {
    const columns = new Map<string, ColumnSpec>();
    for (const [col, c] of Object.entries(raw)) {
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
        ...(c.aggregate === undefined
          ? {}
          : { aggregate: this.aggregate(c.aggregate, [...cpath, "aggregate"]) }),
      });
    }
    return columns;
  }

  /** `aggregate:` (the schema checked its shape: one of count/sum). */
  private aggregate(raw: NonNullable<RawColumn["aggregate"]>, path: JsonPath): AggregateSpec {
    const fn = raw.sum !== undefined ? "sum" : "count";
    const of = raw.of === undefined ? [] : Array.isArray(raw.of) ? raw.of : [raw.of];
    return {
      fn,
      table: (fn === "sum" ? raw.sum : raw.count) ?? "",
      of,
      where: Object.entries(raw.where ?? {}).map(([column, value]) => ({ column, value })),
      pos: this.src.pos(path),
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

  /** Reads an action into `list`, then the replaces nested under it (`children:`), right after it. */
  private pushAction(
    eventType: string,
    a: RawAction,
    path: JsonPath,
    list: ActionSpec[],
    outer: ActionSpec | undefined,
  ): void {
    const action = this.action(eventType, a, path, list.length, outer);
    if (!action) return;
    list.push(action);
    (a.children ?? []).forEach((c, i) =>
      this.pushAction(eventType, c, [...path, "children", i], list, action),
    );
  }

  private action(
    eventType: string,
    a: RawAction,
    path: JsonPath,
    index: number,
    outer?: ActionSpec,
  ): ActionSpec | undefined {
    if (outer && typeof a.replace !== "string") {
      this.issues.push(
        issue(
          this.src.pos(path),
          "children: holds replaces of the child tables of the outer replace's rows",
          'write - replace: <child table> with for_each: "@.<array of the element>" and columns',
        ),
      );
      return undefined;
    }
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
    const allowed = [
      ...def.keys,
      "when",
      ...(mode === "delete" ? [] : ["if_missing"]),
      ...(mode === "update" || mode === "soft_delete" ? ["stamp"] : []),
      ...(mode === "replace" ? ["children"] : ["with"]),
    ];
    if (outer) {
      allowed.splice(allowed.indexOf("where"), 1);
      allowed.splice(allowed.indexOf("when"), 1);
    }
    let ok = true;
    for (const k of Object.keys(a)) {
      if (k === mode || allowed.includes(k)) continue;
      ok = false;
      this.issues.push(
        outer && k === "where"
          ? issue(
              this.src.pos([...path, k], true),
              "a nested replace has no where: its parent key is the row of the outer replace's element",
              "remove where; the parent columns are filled from that row",
            )
          : outer && k === "when"
            ? issue(
                this.src.pos([...path, k], true),
                "a nested replace takes no when: it applies with its outer replace",
                "put the when on the outer replace, or on the event type",
              )
            : issue(
                this.src.pos([...path, k], true),
                `"${k}" does not apply to ${mode}`,
                `${mode} takes: ${allowed.join(", ")}`,
              ),
      );
    }
    for (const k of def.required) {
      if (outer && k === "where") continue; // a nested replace's parent key is its outer row's
      if (a[k as keyof RawAction] === undefined) {
        ok = false;
        this.issues.push(
          issue(this.src.pos([...path, mode], true), `${mode} of ${eventType} needs "${k}"`, `add ${k}: …`),
        );
      }
    }
    if (!ok) return undefined;
    let columns: ColumnValue[];
    if (mode === "update") columns = this.reader.values(a.set ?? {}, [...path, "set"]);
    else if (mode === "soft_delete") {
      const column = a.column!;
      const value: RawValue = a.value ?? "$.timestamp";
      const [ts] = this.reader.values({ [column]: value }, [
        ...path,
        a.value === undefined ? "column" : "value",
      ]);
      columns = [
        ...(ts ? [{ ...ts, pos: this.src.pos([...path, "column"]) }] : []),
        ...this.reader.values(a.set ?? {}, [...path, "set"]),
      ];
    } else columns = this.reader.values(a.columns ?? {}, [...path, "columns"]);
    let forEach: ActionSpec["forEach"];
    if (a.for_each !== undefined) {
      const v = this.reader.value(a.for_each, [...path, "for_each"]);
      if (outer) {
        if (v.kind === "path" && v.root === "element") forEach = v;
        else
          this.issues.push(
            issue(
              this.src.pos([...path, "for_each"]),
              "a nested replace's for_each is a path into the outer element, like @.bins",
              "start it with @: it reads each element of the outer replace",
            ),
          );
      } else if (v.kind === "path" && v.root === "event") forEach = v;
      else
        this.issues.push(
          issue(
            this.src.pos([...path, "for_each"]),
            "for_each must be an envelope path like $.data.items",
            "start it with $, which reads the event; @ paths are for the columns of each element",
          ),
        );
    }
    const when = a.when === undefined ? undefined : this.reader.condition(a.when, [...path, "when"]);
    if (a.stamp !== undefined && typeof a.stamp !== "boolean")
      this.issues.push(
        issue(
          this.src.pos([...path, "stamp"]),
          "an action's stamp is true or false",
          "stamp: false writes none of the table's stamp (the guard does not move); leave it out for the default",
        ),
      );
    let withPath: ActionSpec["with"];
    if (a.with !== undefined) {
      const v = this.reader.value(a.with, [...path, "with"]);
      if (v.kind === "path" && v.root === "event") withPath = v;
      else
        this.issues.push(
          issue(
            this.src.pos([...path, "with"]),
            "with must be an envelope path like $.data.refund",
            "start it with $: the object it selects is what the action's @ paths read",
          ),
        );
    }
    let ifMissing: ActionSpec["ifMissing"] = outer?.ifMissing;
    if (a.if_missing !== undefined) {
      if (a.if_missing === "wait" || a.if_missing === "skip") ifMissing = a.if_missing;
      else
        this.issues.push(
          issue(
            this.src.pos([...path, "if_missing"]),
            `if_missing must be wait or skip, not ${JSON.stringify(a.if_missing)}`,
            "skip: leave the action out when its row is not there (counted); wait (the default): keep the event as an unmatched letter",
          ),
        );
    }
    return {
      mode,
      table: a[mode]!,
      columns,
      where: this.reader.values(a.where ?? {}, [...path, "where"]),
      forEach,
      eventType,
      index,
      pos: this.src.pos(path),
      tablePos: this.src.pos([...path, mode]),
      ...(when ? { when } : {}),
      ...(ifMissing ? { ifMissing, ifMissingPos: this.src.pos([...path, "if_missing"], true) } : {}),
      ...(a.stamp === false ? { noStamp: true } : {}),
      ...(withPath ? { with: withPath } : {}),
      ...(outer ? { nestedIn: outer.index } : {}),
    };
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
