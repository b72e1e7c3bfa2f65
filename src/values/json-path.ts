import { query } from "./json-path-query.js";
import { PathSyntaxError, parsePath } from "./json-path-syntax.js";

/** Marks a path that matched nothing: the column is left alone (update) or defaulted (insert). */
export const ABSENT: unique symbol = Symbol("absent");
export type Absent = typeof ABSENT;

export type Accessor = (root: unknown) => unknown;

const SIMPLE_SEGMENT = /\.([A-Za-z_][A-Za-z0-9_]*|\d+)|\[(\d+)\]|\['([^'\\]*)'\]|\["([^"\\]*)"\]/y;

/**
 * The segments of a simple path (`$.a.b[0]['c d']`), or undefined when the path needs a real
 * JSONPath evaluation (wildcards, filters, recursive descent, slices…).
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
 * millions of times); others are parsed into steps (json-path-syntax.ts) and evaluated by
 * json-path-query.ts, never by a JavaScript evaluator. Semantics: a missing key → ABSENT; walking
 * through an explicit null → null; several matches → an array of them. Throws PathSyntaxError for
 * a path that is not one of the forms a spec may write (validate reports those first: checkPath).
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
  const steps = parsePath(path);
  return (root: unknown) => {
    if (root === null || typeof root !== "object") return ABSENT;
    const found = query(steps, root);
    if (found.length === 0) return ABSENT;
    return found.length === 1 ? found[0] : found;
  };
}

/**
 * Whether a path selects a list of values by its form: a wildcard, a slice or recursive descent
 * (`$.data.lines[*].amount`, `$..price`). A filter selects by content: it stays a value, as
 * written for one match (`$.data.images[?(@.primary)].url`).
 */
export function selectsMany(path: string): boolean {
  if (simpleSegments(path)) return false;
  try {
    return parsePath(path).some(
      (s) => s.descend || s.selectors.some((x) => x.kind === "wildcard" || x.kind === "slice"),
    );
  } catch {
    return false;
  }
}

/**
 * Compiles a path read as a list (what an aggregate such as `sum` takes): every value it selects,
 * in document order, `[]` when it selects none; ABSENT when the event lacks what it starts from
 * (the value before its first wildcard, slice, filter or descent), null when that is null. A plain
 * path to an array reads as its elements (`sum: $.data.amounts`).
 */
export function compileListPath(path: string): Accessor {
  const simple = simpleSegments(path);
  if (simple) {
    const read = compileSimple(simple);
    return (root) => {
      const v = root === null || typeof root !== "object" ? ABSENT : read(root);
      return v === ABSENT || v === null || Array.isArray(v) ? v : [v];
    };
  }
  const steps = parsePath(path);
  // The start: the plain steps (one name or index, no descent) before the first that selects many.
  const many = steps.findIndex(
    (s) =>
      s.descend ||
      s.selectors.length !== 1 ||
      (s.selectors[0]!.kind !== "name" && s.selectors[0]!.kind !== "index"),
  );
  const first = many < 0 ? steps.length : many;
  const start = compileSimple(
    steps.slice(0, first).map((s) => {
      const x = s.selectors[0]!;
      return x.kind === "name" ? x.name : x.kind === "index" ? x.index : "";
    }),
  );
  return (root) => {
    if (root === null || typeof root !== "object") return ABSENT;
    const from = start(root);
    if (from === ABSENT || from === null) return from;
    // Queried from the root: a filter's `$` is the envelope.
    return query(steps, root);
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
 * One step of a JSONPath after `$`/`@`: `.name` or `..name` (a name runs to the next `.` or `[`:
 * `.2fa`, `.0`, `.a-b` are steps; spaces and quotes are not), or `[…]`.
 */
const STEP = /\.\.?[^.[\]\s'"()]+|\.\.(?=\[)/y;

/** Where the steps of a path stop making sense (a bracket's content is left to parsePath). */
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
  try {
    parsePath(path);
  } catch (e) {
    if (e instanceof PathSyntaxError) return e.message;
    throw e;
  }
  return undefined;
}
