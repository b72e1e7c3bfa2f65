import { TRANSFORMS } from "../language/registry.js";
import { isOptionIssue, type TransformDef } from "../language/transform.js";
import { didYouMean, issue, type SpecIssue } from "./issues.js";
import type { RawValueMap } from "./raw.js";
import type { JsonPath, SourceDoc } from "./source-doc.js";
import {
  COMBINES,
  COMPARE_OPS,
  type ColumnValue,
  type Combine,
  type CompareOp,
  type ConditionSpec,
  type DatePart,
  type Scalar,
  type TransformOptions,
  type ValueSpec,
} from "./types.js";

/** Keys any value form may carry: how the column takes the value. */
const MODIFIERS = new Set(["keep_existing", "combine"]);

/** The value forms other than a path or a constant, for messages. */
const VALUE_FORMS = ["const", "path", "coalesce", ...TRANSFORMS.keys(), "test"];

/** Reads values (paths, constants, forms, transforms) and conditions, with a position on each. */
export class ValueReader {
  constructor(
    private readonly src: SourceDoc,
    private readonly issues: SpecIssue[],
  ) {}

  values(map: RawValueMap, path: JsonPath): ColumnValue[] {
    return Object.entries(map).map(([column, raw]) => {
      const vpath = [...path, column];
      const keepExisting = raw !== null && typeof raw === "object" && raw.keep_existing === true;
      const out: ColumnValue = {
        column,
        value: this.value(raw, vpath),
        keepExisting,
        pos: this.src.pos(vpath, true),
      };
      if (raw === null || typeof raw !== "object" || !("combine" in raw)) return out;
      const combinePos = this.src.pos([...vpath, "combine"]);
      if (!COMBINES.includes(raw.combine as Combine)) {
        this.issues.push(
          issue(
            combinePos,
            `combine takes one of ${COMBINES.join(", ")}`,
            "write combine: add (a counter), subtract, max (a high-water mark) or min",
          ),
        );
        return out;
      }
      return { ...out, combine: raw.combine as Combine, combinePos };
    });
  }

  bad(path: JsonPath, message: string, hint: string): ValueSpec {
    const pos = this.src.pos(path);
    this.issues.push(issue(pos, message, hint));
    return { kind: "const", value: null, pos };
  }

  value(raw: unknown, path: JsonPath): ValueSpec {
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
      const form = Object.keys(o).find((k) => !MODIFIERS.has(k)) ?? "(none)";
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

  /** An aggregate's `{ each: <path>, of: <value> }`: `of` for every element the path selects. */
  private each(o: Record<string, unknown>, path: JsonPath, name: string): ValueSpec {
    const pos = this.src.pos(path);
    for (const k of Object.keys(o))
      if (k !== "each" && k !== "of")
        this.issues.push(
          issue(
            this.src.pos([...path, k], true),
            `"${k}" does not apply to each`,
            `write { ${name}: { each: …, of: … } }`,
          ),
        );
    const each = this.value(o.each ?? null, [...path, "each"]);
    if (each.kind !== "path")
      return this.bad(
        [...path, "each"],
        "each takes a path to the elements, such as $.data.lines[*]",
        `write { ${name}: { each: "$.data.lines[*]", of: { mul: ["@.qty", "@.unit_price"] } } }`,
      );
    if (!("of" in o))
      return this.bad(
        path,
        'each needs "of": the value of one element, its paths starting with @',
        `write { ${name}: { each: "${each.path}", of: { mul: ["@.qty", "@.unit_price"] } } }`,
      );
    return { kind: "each", each, of: this.value(o.of, [...path, "of"]), pos };
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
    } else if (input.kind === "many") {
      if (arg !== null && typeof arg === "object" && !Array.isArray(arg) && "each" in arg) {
        const e = this.each(arg as Record<string, unknown>, tpath, name);
        if (e.kind !== "each") return e;
        args = [e];
      } else {
        const v = this.value(arg, tpath);
        if (v.kind !== "path")
          return this.bad(
            tpath,
            `${name} takes a path that selects values, not ${v.kind === "const" ? "a constant" : "a computed value"}`,
            `write ${name}: "$.data.lines[*].amount" (quoted: its * would start a YAML alias)`,
          );
        args = [v];
      }
    } else args = [this.value(arg, tpath)];
    const allowed = [...Object.keys(def.options), ...(input.kind === "unit" ? [input.of] : [])];
    for (const k of Object.keys(o)) {
      if (k === name || MODIFIERS.has(k) || allowed.includes(k)) continue;
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
  condition(raw: unknown, path: JsonPath): ConditionSpec {
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
}
