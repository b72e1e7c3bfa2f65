/**
 * The JSONPath forms a spec may write, parsed into plain data (json-path-query.ts evaluates them).
 * Only what docs/spec-language.md describes parses: `.name`, `['key']`, `[index]` (negative counts
 * from the end), `[*]` and `.*`, `..` (recursive descent), slices `[start:end:step]`, unions
 * `[0,2]`, and filters `[?(…)]` in a small comparison language of their own. Nothing of a path is
 * ever run as JavaScript: a filter is a tree of comparisons, evaluated by json-path-query.ts.
 */

/** What a bracket or dot step selects of a node. */
export type Selector =
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "wildcard" }
  | { readonly kind: "slice"; readonly start?: number; readonly end?: number; readonly step: number }
  | { readonly kind: "filter"; readonly expr: FilterExpr };

/** One step: its selectors, applied to the node (or, with `descend`, to it and every node below it). */
export interface Step {
  readonly descend: boolean;
  readonly selectors: readonly Selector[];
}

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** A filter: comparisons of the current element's (`@`) or the root's (`$`) values and constants. */
export type FilterExpr =
  | { readonly kind: "or" | "and"; readonly left: FilterExpr; readonly right: FilterExpr }
  | { readonly kind: "not"; readonly of: FilterExpr }
  | {
      readonly kind: "compare";
      readonly op: CompareOp;
      readonly left: FilterExpr;
      readonly right: FilterExpr;
    }
  | { readonly kind: "literal"; readonly value: string | number | boolean | null }
  | { readonly kind: "path"; readonly root: "@" | "$"; readonly segments: readonly (string | number)[] };

/** A path that is not one of the forms a spec may write; the message says why, for validate. */
export class PathSyntaxError extends Error {}

const FILTER_HINT =
  "a filter compares values, like [?(@.qty > 1)], [?(@.sku == 'B')] or [?(@.variant && @.variant.key != 'x')], with ==, !=, <, <=, >, >=, &&, || and !";

/** Characters that end a dot step's name, or that JSONPath engines give other meanings there. */
const NOT_IN_NAME = new Set([..."[]().'\"`~^@$*?,=!<>&|\\"]);

function isSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\r";
}

/** C0, DEL and C1 (a key with them is written quoted). */
function isControl(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/** Parses a path that starts with `$` or `@` into its steps (the root itself is not a step). */
export function parsePath(path: string): Step[] {
  return new Parser(path).path();
}

class Parser {
  private i = 1;
  constructor(private readonly s: string) {}

  private fail(message: string): never {
    throw new PathSyntaxError(message);
  }

  path(): Step[] {
    const root = this.s[0];
    if (root !== "$" && root !== "@")
      this.fail("a path starts with $ (the envelope) or @ (the for_each element)");
    const steps: Step[] = [];
    while (this.i < this.s.length) steps.push(this.step());
    return steps;
  }

  private step(): Step {
    const s = this.s;
    if (s.startsWith("..", this.i)) {
      this.i += 2;
      if (s[this.i] === "[") return { descend: true, selectors: this.bracket() };
      if (s[this.i] === "*") {
        this.i++;
        return { descend: true, selectors: [{ kind: "wildcard" }] };
      }
      return { descend: true, selectors: [{ kind: "name", name: this.name() }] };
    }
    if (s[this.i] === ".") {
      this.i++;
      if (s[this.i] === "*") {
        this.i++;
        return { descend: false, selectors: [{ kind: "wildcard" }] };
      }
      return { descend: false, selectors: [{ kind: "name", name: this.name() }] };
    }
    if (s[this.i] === "[") return { descend: false, selectors: this.bracket() };
    this.fail(
      `unexpected ${JSON.stringify(s.slice(this.i, this.i + 12))} at character ${this.i + 1}: a step is .name, [index], ['key'], [*] or a [?(filter)]`,
    );
  }

  /** A dot step's name: up to the next `.` or `[`. */
  private name(): string {
    const start = this.i;
    const s = this.s;
    while (this.i < s.length && !NOT_IN_NAME.has(s[this.i]!) && !isSpace(s[this.i]) && !isControl(s, this.i))
      this.i++;
    if (this.i === start) {
      const ch = s[this.i];
      if (ch === undefined || ch === "." || ch === "[") this.fail("incomplete path segment");
      this.fail(
        `unexpected ${JSON.stringify(s.slice(this.i, this.i + 12))} at character ${this.i + 1}: a name of a .name step is letters, digits, _ or -; write ['${ch}…'] for a key with other characters`,
      );
    }
    const next = s[this.i];
    if (next !== undefined && next !== "." && next !== "[")
      this.fail(
        `unexpected ${JSON.stringify(s.slice(this.i, this.i + 12))} at character ${this.i + 1}: ${
          next === "~" || next === "^" || next === "`"
            ? `${next} is not part of the JSONPath a spec may write; quote a key with other characters as ['key']`
            : "a step is .name, [index], ['key'], [*] or a [?(filter)]"
        }`,
      );
    return s.slice(start, this.i);
  }

  private spaces(): void {
    while (isSpace(this.s[this.i])) this.i++;
  }

  /** `[…]`: one selector or a union of them. */
  private bracket(): Selector[] {
    this.i++; // [
    const selectors: Selector[] = [];
    for (;;) {
      this.spaces();
      selectors.push(this.selector());
      this.spaces();
      const ch = this.s[this.i];
      if (ch === "]") {
        this.i++;
        return selectors;
      }
      if (ch === ",") {
        this.i++;
        continue;
      }
      if (ch === undefined) this.fail("unbalanced brackets");
      this.fail(
        `unexpected ${JSON.stringify(this.s.slice(this.i, this.i + 12))} at character ${this.i + 1} in [...]`,
      );
    }
  }

  private selector(): Selector {
    const s = this.s;
    const ch = s[this.i];
    if (ch === "*") {
      this.i++;
      return { kind: "wildcard" };
    }
    if (ch === "'" || ch === '"') return { kind: "name", name: this.quoted() };
    if (ch === "?") {
      this.i++;
      this.spaces();
      if (s[this.i] !== "(") this.fail(`a filter is written [?(…)]: ${FILTER_HINT}`);
      this.i++;
      const expr = new FilterParser(s, this.i).parse();
      this.i = expr.end;
      return { kind: "filter", expr: expr.expr };
    }
    if (ch === "(")
      this.fail(
        "[(…)] script expressions are not part of the JSONPath a spec may write: use an index, a slice or a filter",
      );
    // An index, or a slice: [start:end:step], each part optional.
    const parts: (number | undefined)[] = [this.integer()];
    while (s[this.i] === ":" && parts.length < 3) {
      this.i++;
      parts.push(this.integer());
    }
    if (parts.length === 1) {
      if (parts[0] === undefined)
        this.fail(
          `unexpected ${JSON.stringify(s.slice(this.i, this.i + 12))} at character ${this.i + 1}: in brackets: an index, a slice, '*', a 'quoted key' or a ?(filter)`,
        );
      return { kind: "index", index: parts[0] };
    }
    const [start, end, step = 1] = parts;
    if (step <= 0) this.fail("a slice's step must be a positive integer");
    return {
      kind: "slice",
      ...(start !== undefined ? { start } : {}),
      ...(end !== undefined ? { end } : {}),
      step,
    };
  }

  /** An optional integer (undefined when there is none). */
  private integer(): number | undefined {
    this.spaces();
    const m = /^-?\d{1,15}/.exec(this.s.slice(this.i, this.i + 17));
    if (!m) return undefined;
    this.i += m[0].length;
    if (/\d/.test(this.s[this.i] ?? "")) this.fail("an index has at most 15 digits");
    this.spaces();
    return Number(m[0]);
  }

  private quoted(): string {
    const r = readQuoted(this.s, this.i);
    if (!r) this.fail("unterminated quote");
    this.i = r.end;
    return r.text;
  }
}

/** A quoted string at `i` (its quote included) with backslash escapes, and where it ends. */
function readQuoted(s: string, i: number): { text: string; end: number } | undefined {
  const quote = s[i];
  let out = "";
  for (let j = i + 1; j < s.length; j++) {
    const ch = s[j]!;
    if (ch === quote) return { text: out, end: j + 1 };
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = s[++j];
    if (next === undefined) return undefined;
    if (next === "u") {
      const hex = s.slice(j + 1, j + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
      out += String.fromCharCode(Number.parseInt(hex, 16));
      j += 4;
    } else out += next === "n" ? "\n" : next === "t" ? "\t" : next === "r" ? "\r" : next;
  }
  return undefined;
}

/** Filters nest at most this deep (parentheses and `!`), and have at most so many operands: a spec's filter is short. */
const MAX_FILTER_DEPTH = 32;
const MAX_FILTER_OPERANDS = 256;

/**
 * A filter's expression, from after `?(` to its closing `)`:
 *   or := and ('||' and)* ; and := not ('&&' not)* ; not := '!' not | cmp
 *   cmp := operand (op operand)? ; operand := '(' or ')' | literal | @path | $path
 */
class FilterParser {
  private depth = 0;
  private operands = 0;
  constructor(
    private readonly s: string,
    private i: number,
  ) {}

  private fail(message: string): never {
    throw new PathSyntaxError(message);
  }

  parse(): { expr: FilterExpr; end: number } {
    const expr = this.or();
    this.spaces();
    if (this.s[this.i] !== ")") this.unexpected();
    return { expr, end: this.i + 1 };
  }

  private unexpected(): never {
    const s = this.s;
    const at = s.slice(this.i, this.i + 12);
    if (s[this.i] === "=" && s[this.i + 1] === "!")
      this.fail("the filter has =!, which compares with a negation: write != to test inequality");
    if (s[this.i] === "=" && s[this.i + 1] !== "=")
      this.fail("the filter has a single =, which assigns: write == to compare");
    if (this.i >= s.length) this.fail("unbalanced brackets");
    this.fail(`unexpected ${JSON.stringify(at)} at character ${this.i + 1} in the filter: ${FILTER_HINT}`);
  }

  private spaces(): void {
    while (isSpace(this.s[this.i])) this.i++;
  }

  private eat(token: string): boolean {
    this.spaces();
    if (!this.s.startsWith(token, this.i)) return false;
    this.i += token.length;
    return true;
  }

  private nested<T>(f: () => T): T {
    if (++this.depth > MAX_FILTER_DEPTH) this.fail(`a filter nests at most ${MAX_FILTER_DEPTH} levels`);
    const r = f();
    this.depth--;
    return r;
  }

  private or(): FilterExpr {
    return this.nested(() => {
      let left = this.and();
      while (this.eat("||")) left = { kind: "or", left, right: this.and() };
      return left;
    });
  }

  private and(): FilterExpr {
    let left = this.not();
    while (this.eat("&&")) left = { kind: "and", left, right: this.not() };
    return left;
  }

  private not(): FilterExpr {
    this.spaces();
    if (this.s[this.i] === "!" && this.s[this.i + 1] !== "=") {
      this.i++;
      return this.nested(() => ({ kind: "not", of: this.not() }));
    }
    return this.compare();
  }

  private compare(): FilterExpr {
    const left = this.operand();
    this.spaces();
    const op = this.operator();
    if (!op) return left;
    return { kind: "compare", op, left, right: this.operand() };
  }

  private operator(): CompareOp | undefined {
    const s = this.s;
    for (const [text, op] of [
      ["===", "=="],
      ["!==", "!="],
      ["==", "=="],
      ["!=", "!="],
      ["<=", "<="],
      [">=", ">="],
      ["<", "<"],
      [">", ">"],
    ] as const) {
      if (s.startsWith(text, this.i)) {
        this.i += text.length;
        return op;
      }
    }
    return undefined;
  }

  private operand(): FilterExpr {
    if (++this.operands > MAX_FILTER_OPERANDS)
      this.fail(`a filter has at most ${MAX_FILTER_OPERANDS} operands`);
    this.spaces();
    const s = this.s;
    const ch = s[this.i];
    if (ch === "(") {
      this.i++;
      const inner = this.or();
      if (!this.eat(")")) this.unexpected();
      return inner;
    }
    if (ch === "'" || ch === '"') {
      const r = readQuoted(s, this.i);
      if (!r) this.fail("unterminated quote");
      this.i = r.end;
      return { kind: "literal", value: r.text };
    }
    if (ch === "@" || ch === "$") return this.path(ch);
    const number = /^-?(?:0|[1-9]\d{0,30})(?:\.\d{1,30})?(?:[eE][+-]?\d{1,3})?/.exec(
      s.slice(this.i, this.i + 80),
    );
    if (number) {
      this.i += number[0].length;
      return { kind: "literal", value: Number(number[0]) };
    }
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (s.startsWith(word, this.i) && !/[\w$]/.test(s[this.i + word.length] ?? "")) {
        this.i += word.length;
        return { kind: "literal", value };
      }
    }
    this.unexpected();
  }

  /** `@.a.b[0]['c']` or `$.…`: plain steps only (no wildcards, filters or `..` inside a filter). */
  private path(root: "@" | "$"): FilterExpr {
    const s = this.s;
    this.i++;
    const segments: (string | number)[] = [];
    for (;;) {
      const ch = s[this.i];
      if (ch === "." && s[this.i + 1] !== ".") {
        this.i++;
        const start = this.i;
        while (this.i < s.length && /[A-Za-z0-9_-]/.test(s[this.i]!)) this.i++;
        if (this.i === start) this.unexpected();
        segments.push(s.slice(start, this.i));
      } else if (ch === "[") {
        this.i++;
        this.spaces();
        const q = s[this.i];
        if (q === "'" || q === '"') {
          const r = readQuoted(s, this.i);
          if (!r) this.fail("unterminated quote");
          this.i = r.end;
          segments.push(r.text);
        } else {
          const m = /^\d{1,15}/.exec(s.slice(this.i, this.i + 16));
          if (!m) this.fail(`inside a filter, a path's steps are .name, ['key'] and [index]: ${FILTER_HINT}`);
          this.i += m[0].length;
          segments.push(Number(m[0]));
        }
        this.spaces();
        if (s[this.i] !== "]") this.unexpected();
        this.i++;
      } else if (ch === "." || ch === "*") {
        this.fail(`inside a filter, a path's steps are .name, ['key'] and [index]: ${FILTER_HINT}`);
      } else if (ch !== undefined && /[A-Za-z_]/.test(ch)) {
        // @property, @path, @root… (jsonpath-plus's variables) are no part of it.
        this.fail(
          `${root}${s.slice(this.i).match(/^\w+/)?.[0]} is not part of the filters a spec may write: ${FILTER_HINT}`,
        );
      } else break;
    }
    return { kind: "path", root, segments };
  }
}
