import { JSONPath } from "jsonpath-plus";

/** Marks a path that matched nothing: the column is left alone (update) or defaulted (insert). */
export const ABSENT: unique symbol = Symbol("absent");
export type Absent = typeof ABSENT;

export type Accessor = (root: unknown) => unknown;

const SIMPLE_SEGMENT = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^'\\]*)'\]|\["([^"\\]*)"\]/y;

/**
 * The segments of a simple path (`$.a.b[0]['c d']`), or undefined when the path needs a real
 * JSONPath engine (wildcards, filters, recursive descent, slices…).
 */
export function simpleSegments(path: string): (string | number)[] | undefined {
  if (path[0] !== "$" && path[0] !== "@") return undefined;
  const segments: (string | number)[] = [];
  let i = 1;
  while (i < path.length) {
    SIMPLE_SEGMENT.lastIndex = i;
    const m = SIMPLE_SEGMENT.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(m[3] ?? m[4] ?? "");
    i = SIMPLE_SEGMENT.lastIndex;
  }
  return segments;
}

/**
 * Compiles a path to a function. Simple paths become direct property access (the hot path runs
 * millions of times); others go through jsonpath-plus. Semantics: a missing key → ABSENT; walking
 * through an explicit null → null; several matches → an array of them.
 */
export function compilePath(path: string): Accessor {
  const segments = simpleSegments(path);
  if (segments) return compileSimple(segments);
  // `$.a.items[*]`: every element of the container, as an array however many there are (an empty
  // container is [], not "matched nothing"); ABSENT only when the container itself is missing.
  const base = wildcardBase(path);
  if (base) {
    const container = compileSimple(base);
    return (root) => {
      if (root === null || typeof root !== "object") return ABSENT;
      const v = container(root);
      if (v === ABSENT || v === null) return v;
      if (Array.isArray(v)) return v;
      return typeof v === "object" ? Object.values(v as object) : ABSENT;
    };
  }
  const jsonPath = path[0] === "@" ? `$${path.slice(1)}` : path;
  return (root: unknown) => {
    if (root === null || typeof root !== "object") return ABSENT;
    // A filter meeting data it does not expect (e.g. a null member) matches nothing instead of throwing.
    const found = JSONPath({
      path: jsonPath,
      json: root as object,
      wrap: true,
      eval: "safe",
      ignoreEvalErrors: true,
    }) as unknown[];
    if (found.length === 0) return ABSENT;
    return found.length === 1 ? found[0] : found;
  };
}

/** The segments of `base` in `base[*]` or `base.*` when `base` is a simple path, else undefined. */
function wildcardBase(path: string): (string | number)[] | undefined {
  const m = /^(.*?)(?:\[\*\]|\.\*)$/.exec(path);
  return m ? simpleSegments(m[1]!) : undefined;
}

/**
 * The container a `for_each` path iterates: `$.data.items[*]` and `$.data.items` both mean the
 * array (with its indexes) or object map (with its keys) at `$.data.items`.
 */
export function forEachPath(path: string): string {
  return wildcardBase(path) ? path.replace(/(?:\[\*\]|\.\*)$/, "") : path;
}

/**
 * One step of a JSONPath after `$`/`@`: `.name` or `..name` (a name runs to the next `.` or `[`, as
 * jsonpath-plus reads it: `.2fa`, `.0`, `.a-b`, `.items~` are steps; spaces and quotes are not), or `[…]`.
 */
const STEP = /\.\.?[^.[\]\s'"()]+|\.\.(?=\[)/y;

/** Where the steps of a path stop making sense (a bracket's content is left to jsonpath-plus). */
function badStep(path: string): string | undefined {
  let i = 1;
  while (i < path.length) {
    STEP.lastIndex = i;
    if (STEP.exec(path)) {
      i = STEP.lastIndex;
      continue;
    }
    if (path[i] !== "[") {
      const at = path.slice(i, i + 12);
      return `unexpected ${JSON.stringify(at)} at character ${i + 1}: a step is .name, [index], ['key'], [*] or a [?(filter)]`;
    }
    // Skip to the matching bracket (quotes and nesting are known balanced by now).
    let depth = 0;
    let quote: string | undefined;
    for (; i < path.length; i++) {
      const ch = path[i]!;
      if (quote) {
        if (ch === quote) quote = undefined;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === "[" || ch === "(") depth++;
      else if (ch === "]" || ch === ")") {
        depth--;
        if (depth === 0) break;
      }
    }
    i++;
  }
  return undefined;
}

function compileSimple(segments: (string | number)[]): Accessor {
  const hasOwn = Object.prototype.hasOwnProperty;
  const step = (value: unknown, seg: string | number): unknown => {
    if (value === null) return null;
    if (typeof value !== "object") return ABSENT;
    if (typeof seg === "number") {
      return Array.isArray(value) && seg < value.length ? value[seg] : ABSENT;
    }
    return hasOwn.call(value, seg) ? (value as Record<string, unknown>)[seg] : ABSENT;
  };
  switch (segments.length) {
    case 0:
      return (root) => root;
    case 1: {
      const [a] = segments as [string | number];
      return (root) => step(root, a);
    }
    case 2: {
      const [a, b] = segments as [string | number, string | number];
      return (root) => {
        const v = step(root, a);
        return v === ABSENT || v === null ? v : step(v, b);
      };
    }
    default:
      return (root) => {
        let v = root;
        for (let i = 0; i < segments.length; i++) {
          v = step(v, segments[i]!);
          if (v === ABSENT || v === null) return v;
        }
        return v;
      };
  }
}

/**
 * A filter that assigns or negates where it means to compare: `@.x = 1` (always true in
 * JavaScript) or `@.x =! 1` (compares with the negation). Strings are skipped.
 */
function comparisonSlip(expr: string): string | undefined {
  const code = expr.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, '""');
  if (/=!/.test(code))
    return "the filter has =!, which compares with a negation: write != to test inequality";
  if (/(^|[^=!<>])=(?!=)/.test(code)) return "the filter has a single =, which assigns: write == to compare";
  return undefined;
}

/** Why a path does not compile, or undefined when it does. */
export function checkPath(path: string): string | undefined {
  if (path[0] !== "$" && path[0] !== "@")
    return "a path starts with $ (the envelope) or @ (the for_each element)";
  if (simpleSegments(path)) return undefined;
  let depth = 0;
  let quote: string | undefined;
  for (const ch of path) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "[" || ch === "(") depth++;
    else if (ch === "]" || ch === ")") depth--;
    if (depth < 0) return "unbalanced brackets";
  }
  if (quote) return "unterminated quote";
  if (depth !== 0) return "unbalanced brackets";
  // `.[` has nothing between the dot and the bracket; `..[` (recursive descent) is a step.
  if (/\.\.$|\.$|(?<!\.)\.\[|\.\.\.|\[\]/.test(path)) return "incomplete path segment";
  const bad = badStep(path);
  if (bad) return bad;
  const jsonPath = path[0] === "@" ? `$${path.slice(1)}` : path;
  try {
    JSONPath({ path: jsonPath, json: {}, wrap: true, eval: "safe" });
    // Filters only run on matching data, so parse their expressions now to report syntax errors early.
    for (const seg of JSONPath.toPathArray(jsonPath)) {
      const m = /^\?\((.*)\)$/s.exec(String(seg));
      if (m) {
        const wrong = comparisonSlip(m[1]!);
        if (wrong) return wrong;
        const expr = m[1]!.replace(/@(?=[.[\s)]|$)/g, "_$_v");
        const Script = (JSONPath.prototype as unknown as { safeVm: { Script: new (e: string) => unknown } })
          .safeVm.Script;
        new Script(expr);
      }
    }
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
