import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { packageRoot } from "../core/package-root.js";
import { TRANSFORMS } from "../language/registry.js";
import { transformBranches } from "../language/schema.js";
import { didYouMean, issue, type SpecIssue } from "./issues.js";
import { MODES } from "./modes/registry.js";
import type { SourceDoc } from "./source-doc.js";
import type { ActionMode } from "./types.js";

export const SCHEMA_PATH = join(packageRoot, "schema", "projection.schema.json");

let validator: ValidateFunction | undefined;
let definitions: Record<string, unknown> = {};
function getValidator(): ValidateFunction {
  if (validator) return validator;
  const schema = withTransforms(JSON.parse(readFileSync(SCHEMA_PATH, "utf8")));
  definitions = schema.definitions ?? {};
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
  validator = ajv.compile(schema);
  return validator;
}

/**
 * The schema with the value branches of the transforms and the action's mode keys as their
 * registries make them (the file has them too, for editors; test/unit/registries.test.ts keeps it
 * in step).
 */
export function withTransforms(schema: {
  definitions?: { value?: { oneOf?: Record<string, unknown>[] }; action?: Record<string, unknown> };
}): typeof schema {
  const action = schema.definitions?.action as
    | { properties?: Record<string, unknown>; description?: string }
    | undefined;
  if (action?.properties) {
    // The mode keys, as the modes' registry has them (src/specs/modes/), before the other keys.
    const others = Object.entries(action.properties).filter(([k]) => !MODES.has(k as ActionMode));
    action.properties = Object.fromEntries([
      ...[...MODES.values()].map((m) => [
        m.name,
        { $ref: "#/definitions/identifier", description: m.description },
      ]),
      ...others,
    ]);
    action.description = `Exactly one mode key: ${[...MODES.keys()].join(", ")}.`;
  }
  const oneOf = schema.definitions?.value?.oneOf;
  if (!oneOf) return schema;
  const own = oneOf.filter((b) => !TRANSFORMS.has(String((b.required as string[] | undefined)?.[0])));
  const test = own.findIndex((b) => (b.required as string[] | undefined)?.[0] === "test");
  const branches = transformBranches(transformOrder());
  const value = schema.definitions!.value! as { oneOf?: unknown[]; description?: string };
  value.oneOf = [...own.slice(0, test), ...branches, ...own.slice(test)];
  value.description = `A path ($… or @…), a constant, or one of the forms: const, coalesce, path, a transform (${transformOrder().join(", ")}) or test.`;
  return schema;
}

/** Which oneOf branch the data was meant for, judged by a discriminating key. */
/**
 * The keys that tell a oneOf's branches apart, in the order of the schema's branches. The value
 * branches: a scalar, const, coalesce, path, one per transform (src/language/transforms/), test.
 */
const BRANCH_KEYS: Record<string, string[]> = {
  value: ["", "const", "coalesce", "path", ...transformOrder(), "test"],
  key: ["", "columns"],
  event: ["", "actions", "same_as"],
};

/**
 * The transforms in the schema's order: by name, except that a transform whose name is an option
 * of another comes after the others (an object is read as the first branch whose key it has).
 */
export function transformOrder(): string[] {
  const names = [...TRANSFORMS.keys()].sort();
  const options = new Set([...TRANSFORMS.values()].flatMap((t) => Object.keys(t.options)));
  return [...names.filter((n) => !options.has(n)), ...names.filter((n) => options.has(n))];
}

const ONE_OF_MESSAGES: Record<string, string> = {
  value: `invalid value: expected a path ($… or @…), a constant, or one of the forms ${["const", "path", "coalesce", ...transformOrder(), "test"].map((f) => `{ ${f} }`).join(", ")}`,
  key: "invalid key: expected a column list like [a, b] or { name: …, columns: [a, b] }",
  event:
    "invalid event: expected a list of actions, { actions: [...], when: … } or { same_as: <event type> }",
};

const TYPE_HINTS: Record<string, string> = {
  boolean: "write true or false",
  array: "write a list like [a, b] or one - item per line",
  object: "write a map of key: value pairs",
  string: "write a name or text; quote it if it looks like a number or boolean",
  "string,number,boolean,null": "write a single value; lists and maps do not fit here",
};

const ONE_OF_HINTS: Record<string, string> = {
  value:
    "to take the first of several paths write { coalesce: [$.a, $.b] }; see Values and Transforms in docs/spec-language.md",
  key: "see Tables in docs/spec-language.md",
  event: "see Events in docs/spec-language.md",
};

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * The definition a oneOf belongs to. ajv compiles a referenced definition on its own, so its
 * schemaPath is often just "#/oneOf"; the parent schema object identifies it then.
 */
function definitionOf(e: ErrorObject): string | undefined {
  return (
    /#\/definitions\/([A-Za-z]+)\/oneOf/.exec(e.schemaPath)?.[1] ??
    Object.keys(definitions).find((name) => definitions[name] === e.parentSchema)
  );
}

/** Checks a document against the JSON Schema; turns ajv errors into positioned, actionable issues. */
export function checkSchema(source: SourceDoc, data: unknown): SpecIssue[] {
  const validate = getValidator();
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  // oneOf failures: report the branch the author meant, or one summary message.
  // Innermost first: a oneOf inside another's branch (a value inside an event's actions) explains
  // its own errors, and the outer one then has nothing to add about them.
  const depth = (p: string) => p.split("/").length;
  const oneOfs = errors
    .filter((e) => e.keyword === "oneOf")
    .sort((a, b) => depth(b.instancePath) - depth(a.instancePath));
  const chosen: ErrorObject[] = [];
  const handled = new Set<ErrorObject>();
  const under = (path: string, base: string) => path === base || path.startsWith(`${base}/`);
  for (const o of oneOfs) {
    const def = definitionOf(o);
    const value = o.data;
    const keys = def ? (BRANCH_KEYS[def] ?? []) : [];
    const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
    const branch = isObject ? keys.findIndex((k) => k !== "" && k in (value as object)) : keys.indexOf("");
    // ajv reports the branches' errors right before the oneOf error, at or below its instancePath.
    // Their schemaPath is often that of a referenced definition, so collect them by position.
    const branchErrors: ErrorObject[] = [];
    for (let i = errors.indexOf(o) - 1; i >= 0 && under(errors[i]!.instancePath, o.instancePath); i--)
      if (!handled.has(errors[i]!)) branchErrors.push(errors[i]!);
    branchErrors.reverse();
    if (chosen.some((c) => under(c.instancePath, o.instancePath))) {
      // An inner oneOf already said what is wrong in here.
      branchErrors.forEach((e) => handled.add(e));
      handled.add(o);
      continue;
    }
    // Errors below the value (a bad path inside coalesce, a bad name in a column list) can only come
    // from the branch the author meant.
    const key = keys[branch];
    // A type error on the whole value means the guess was wrong (e.g. a list where a value goes).
    const isMine = (e: ErrorObject) =>
      (e.schemaPath.startsWith(`${o.schemaPath}/${branch}/`) &&
        !(e.keyword === "type" && e.instancePath === o.instancePath)) ||
      (key === ""
        ? e.instancePath.startsWith(`${o.instancePath}/`)
        : key !== undefined && under(e.instancePath, `${o.instancePath}/${key}`));
    branchErrors.forEach((e) => handled.add(e));
    handled.add(o);
    const mine = branch >= 0 ? branchErrors.filter(isMine) : [];
    if (mine.length > 0) chosen.push(...mine);
    else chosen.push({ ...o, message: (def && ONE_OF_MESSAGES[def]) || o.message || "is invalid" });
  }
  // A bad map key fails twice: a pattern error that carries propertyName, then a propertyNames
  // error. Keep the first one: its schemaPath tells which definition (identifier, eventType) failed.
  const rest = errors.filter(
    (e) =>
      !handled.has(e) &&
      e.keyword !== "if" &&
      !(
        e.keyword === "propertyNames" &&
        errors.some((p) => p.propertyName === e.params.propertyName && p.instancePath === e.instancePath)
      ),
  );
  const issues: SpecIssue[] = [];
  const seen = new Set<string>();
  for (const e of [...rest, ...chosen]) {
    const i = toIssue(source, e);
    const k = `${i.line}:${i.col}:${i.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      issues.push(i);
    }
  }
  return issues;
}

function toIssue(source: SourceDoc, e: ErrorObject): SpecIssue {
  const path = pointerToPath(e.instancePath);
  const where = path.length ? path.join(".") : "the file";
  switch (e.keyword) {
    case "additionalProperties": {
      const prop = String(e.params.additionalProperty);
      // `{ type: decimal(10,3) }`: in a flow map the comma ends the value, and `3)` becomes a key.
      const type = (e.data as { type?: unknown } | null)?.type;
      if (/^\d+\)$/.test(prop) && typeof type === "string" && /\(\d+$/.test(type.trim())) {
        const written = `${type.trim()},${prop}`;
        return issue(
          source.pos([...path, "type"]),
          `the type ${written} must be quoted here: in a { … } map the comma ends the value`,
          `quote the type: type: "${written}"`,
        );
      }
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      return issue(
        source.pos([...path, prop], true),
        `unknown key "${prop}" in ${where}`,
        didYouMean(prop, allowed) ?? `allowed keys: ${allowed.join(", ")}`,
      );
    }
    case "required":
      return issue(
        source.pos(path),
        `${where} is missing the required key "${String(e.params.missingProperty)}"`,
        `add ${String(e.params.missingProperty)}: …`,
      );
    case "propertyNames":
    case "pattern": {
      const keyName = e.keyword === "propertyNames" ? String(e.params.propertyName) : e.propertyName;
      const name = keyName ?? String(e.data);
      const isId = /identifier/.test(e.schemaPath) || /identifier/.test(JSON.stringify(e.parentSchema ?? {}));
      if (keyName !== undefined) {
        const isEventType = /eventType/.test(e.schemaPath) || (path.length === 1 && path[0] === "events");
        return issue(
          source.pos([...path, keyName], true),
          isEventType ? `"${name}" is not a valid event type` : `"${name}" is not a valid name here`,
          isEventType
            ? "event types look like topic.action, e.g. order.created"
            : "names use letters, digits and underscore only, start with a letter or _, at most 64 characters",
        );
      }
      if (/path/.test(e.schemaPath)) {
        return issue(
          source.pos(path),
          `"${name}" is not a path`,
          "paths start with $ for the envelope or @ for the for_each element",
        );
      }
      return issue(
        source.pos(path),
        `"${name}" is not a valid name`,
        isId
          ? "names use letters, digits and underscore only, start with a letter or _, at most 64 characters"
          : undefined,
      );
    }
    case "type": {
      const type = String(e.params.type);
      return issue(
        source.pos(path),
        `${where} must be ${type.replace(/,/g, " or ")}`,
        TYPE_HINTS[type] ?? "see docs/spec-language.md for the shape of this key",
      );
    }
    case "enum":
      return issue(
        source.pos(path),
        `${where} must be one of ${(e.params.allowedValues as unknown[]).join(", ")}`,
        didYouMean(String(e.data), (e.params.allowedValues as unknown[]).map(String)) ??
          `write one of: ${(e.params.allowedValues as unknown[]).join(", ")}`,
      );
    case "minItems":
    case "minProperties":
      return issue(
        source.pos(path),
        `${where} must not be empty`,
        "add at least one entry, or remove the key",
      );
    default:
      return issue(
        source.pos(path),
        `${where}: ${e.message ?? "is invalid"}`,
        e.keyword === "oneOf"
          ? (ONE_OF_HINTS[definitionOf(e) ?? ""] ?? "see docs/spec-language.md")
          : undefined,
      );
  }
}
