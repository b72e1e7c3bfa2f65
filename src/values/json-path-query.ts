import type { FilterExpr, Selector, Step } from "./json-path-syntax.js";

/**
 * Evaluates parsed JSONPath steps (json-path-syntax.ts) over a decoded event: the matches in
 * document order, as jsonpath-plus orders them (`..` visits a node, then its children depth first).
 * Iterative (no recursion however deep the document) and bounded: one evaluation visits at most
 * MAX_PATH_VISITS nodes, then throws PathLimitError (the event is dead-lettered with it).
 */

/** Nodes one evaluation may visit: `$..*` over the largest event visits each of its values once. */
export const MAX_PATH_VISITS = 4_000_000;

/** A path that would do more work on this event than an event may cost. */
export class PathLimitError extends Error {}

const hasOwn = Object.prototype.hasOwnProperty;

const MISSING: unique symbol = Symbol("missing");

/** The value at a filter path's segments, or MISSING (a missing key, or a walk through a scalar or null). */
function at(node: unknown, segments: readonly (string | number)[]): unknown {
  let v = node;
  for (const seg of segments) {
    if (v === null || typeof v !== "object") return MISSING;
    if (typeof seg === "number") {
      if (!Array.isArray(v) || seg >= v.length) return MISSING;
      v = v[seg];
    } else {
      if (!hasOwn.call(v, seg)) return MISSING;
      v = (v as Record<string, unknown>)[seg];
    }
  }
  return v;
}

function truthy(v: unknown): boolean {
  return v !== MISSING && v !== null && v !== false && v !== 0 && v !== "" && !Number.isNaN(v);
}

/** Equal when of the same kind and value: numbers by value, text exactly; objects never equal a constant. */
function same(a: unknown, b: unknown): boolean {
  if (a === MISSING || b === MISSING) return false;
  return a === b;
}

function value(e: FilterExpr, element: unknown, root: unknown): unknown {
  switch (e.kind) {
    case "literal":
      return e.value;
    case "path":
      return at(e.root === "@" ? element : root, e.segments);
    default:
      return test(e, element, root);
  }
}

/** Whether a filter holds for `element` (`@`); `root` is the path's root (`$`). Never throws. */
function test(e: FilterExpr, element: unknown, root: unknown): boolean {
  switch (e.kind) {
    case "or":
      return test(e.left, element, root) || test(e.right, element, root);
    case "and":
      return test(e.left, element, root) && test(e.right, element, root);
    case "not":
      return !test(e.of, element, root);
    case "compare": {
      const a = value(e.left, element, root);
      const b = value(e.right, element, root);
      switch (e.op) {
        case "==":
          return same(a, b);
        case "!=":
          return !same(a, b);
        default: {
          // Ordered only within one kind: two numbers, or two strings (by UTF-16 code units).
          const ordered =
            (typeof a === "number" && typeof b === "number") ||
            (typeof a === "string" && typeof b === "string");
          if (!ordered) return false;
          const x = a as number | string;
          const y = b as number | string;
          return e.op === "<" ? x < y : e.op === "<=" ? x <= y : e.op === ">" ? x > y : x >= y;
        }
      }
    }
    case "literal":
    case "path":
      return truthy(value(e, element, root));
  }
}

class Budget {
  private left = MAX_PATH_VISITS;
  spend(n: number): void {
    this.left -= n;
    if (this.left < 0)
      throw new PathLimitError(
        `the path visits more than ${MAX_PATH_VISITS} values of the event (the limit)`,
      );
  }
}

/** Applies one step's selectors to `node`, pushing the matches onto `out`. */
function select(
  node: unknown,
  selectors: readonly Selector[],
  root: unknown,
  out: unknown[],
  budget: Budget,
): void {
  if (node === null || typeof node !== "object") return;
  const array = Array.isArray(node) ? (node as unknown[]) : undefined;
  for (const sel of selectors) {
    switch (sel.kind) {
      case "name":
        if (hasOwn.call(node, sel.name)) out.push((node as Record<string, unknown>)[sel.name]);
        break;
      case "index":
        if (array) {
          const i = sel.index < 0 ? array.length + sel.index : sel.index;
          if (i >= 0 && i < array.length) out.push(array[i]);
        }
        break;
      case "wildcard":
        if (array) {
          budget.spend(array.length);
          for (const v of array) out.push(v);
        } else {
          const values = Object.values(node);
          budget.spend(values.length);
          for (const v of values) out.push(v);
        }
        break;
      case "slice": {
        if (!array) break;
        const n = array.length;
        const clamp = (x: number) => (x < 0 ? Math.max(0, x + n) : Math.min(n, x));
        const start = clamp(sel.start ?? 0);
        const end = clamp(sel.end ?? n);
        budget.spend(Math.max(0, Math.ceil((end - start) / sel.step)));
        for (let i = start; i < end; i += sel.step) out.push(array[i]);
        break;
      }
      case "filter": {
        const values = array ?? Object.values(node);
        budget.spend(values.length);
        for (const v of values) if (test(sel.expr, v, root)) out.push(v);
        break;
      }
    }
  }
}

/** `node` and every object or array below it, depth first in document order (`..`). */
function descend(node: unknown, visit: (n: unknown) => void, budget: Budget): void {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const n = stack.pop();
    budget.spend(1);
    visit(n);
    if (n === null || typeof n !== "object") continue;
    const children = Array.isArray(n) ? n : Object.values(n);
    for (let i = children.length - 1; i >= 0; i--) {
      const c = children[i];
      if (c !== null && typeof c === "object") stack.push(c);
    }
  }
}

/** Every match of `steps` in `root`, in document order. */
export function query(steps: readonly Step[], root: unknown): unknown[] {
  const budget = new Budget();
  let nodes: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (step.descend) descend(node, (n) => select(n, step.selectors, root, next, budget), budget);
      else select(node, step.selectors, root, next, budget);
    }
    nodes = next;
  }
  return nodes;
}
