import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  visit,
  type YAMLMap,
} from "yaml";
import { issue, type SpecIssue } from "./issues.js";
import type { SourcePos, Via } from "./types.js";

/** Offset of the `open` bracket left unclosed before `offset` (scanning back), or undefined. */
function unclosedBracket(text: string, offset: number, open: string, close: string): number | undefined {
  let depth = 0;
  for (let i = offset - 1; i >= 0; i--) {
    if (text[i] === close) depth++;
    else if (text[i] === open) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return undefined;
}

export type JsonPath = readonly (string | number)[];

/** The most uses of anchors one document may expand to (yaml's guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;

/** A parsed YAML file that can tell the line and column of any value or key in it. */
export class SourceDoc {
  private constructor(
    readonly file: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  static parse(file: string, text: string): { source: SourceDoc; issues: SpecIssue[] } {
    const lines = new LineCounter();
    // merge: YAML merge keys (`<<: *base`), so that a mapping said once can be reused with changes.
    const doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      merge: true,
    });
    const source = new SourceDoc(file, doc, lines);
    const issues = doc.errors.map((e) => {
      const at = source.offsetPos(e.pos[0]);
      if (e.code === "DUPLICATE_KEY") {
        const dup = source.duplicateKey(e.pos[0]);
        const key = dup?.key ?? (text.slice(e.pos[0], e.pos[1]).trim() || "this key");
        const first = dup?.firstLine === undefined ? "" : ` (first at line ${dup.firstLine})`;
        return issue(
          at,
          `key ${key} is defined twice in the same map${first}`,
          "each table, column and event is declared once; remove or rename the second one",
        );
      }
      const message = e.message.split("\n")[0] ?? "";
      if (e.code === "TAB_AS_INDENT") {
        return issue(at, `YAML syntax error: ${message}`, "indent with spaces; YAML does not allow tabs");
      }
      const flow = /^Flow (map|sequence) in block collection/.exec(message);
      if (e.code === "BAD_INDENT" && flow) {
        // The parser notices only at the next token; point at the bracket that was never closed.
        const [open, close] = flow[1] === "map" ? ["{", "}"] : ["[", "]"];
        const opener = unclosedBracket(text, e.pos[0], open, close);
        return issue(
          opener === undefined ? at : source.offsetPos(opener),
          `YAML syntax error: this ${open} is never closed with ${close}`,
          `add the missing ${close}; a ${open} … ${close} that continues on the next line must be indented deeper than its key`,
        );
      }
      if (e.code === "BAD_INDENT") {
        // The offset is the start of the indentation; point at the misplaced key instead.
        let offset = e.pos[0];
        while (text[offset] === " ") offset++;
        return issue(
          source.offsetPos(offset),
          `YAML syntax error: ${message}`,
          "indent every key of one map by the same number of spaces",
        );
      }
      return issue(
        at,
        `YAML syntax error: ${message}`,
        unquotedPath(text, e.pos[0])
          ? 'quote a JSONPath inside [ ] or { }, e.g. "$.data.lines[*].qty": unquoted, its * starts a YAML alias and its ] ends the list'
          : "fix the YAML syntax at this position",
      );
    });
    return { source, issues };
  }

  /** The duplicated key that starts at `offset`, and the line of its first occurrence. */
  private duplicateKey(offset: number): { key: string; firstLine: number | undefined } | undefined {
    let found: { key: string; firstLine: number | undefined } | undefined;
    visit(this.doc, {
      Map: (_, map) => {
        const dup = map.items.find((p) => isScalar(p.key) && p.key.range?.[0] === offset);
        if (!dup || !isScalar(dup.key)) return undefined;
        const key = String(dup.key.value);
        const first = map.items.find((p) => p !== dup && isScalar(p.key) && String(p.key.value) === key);
        const firstOffset = isScalar(first?.key) ? first.key.range?.[0] : undefined;
        found = { key, firstLine: firstOffset === undefined ? undefined : this.offsetPos(firstOffset).line };
        return visit.BREAK;
      },
    });
    return found;
  }

  /**
   * Plain JS data of the document, or an issue when its aliases would expand beyond reason (an
   * alias of aliases of aliases… is a known way to make a tiny file take gigabytes).
   */
  data(): { value: unknown } | { issue: SpecIssue } {
    try {
      return { value: this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
    } catch (e) {
      if (!(e instanceof ReferenceError) || !/alias/i.test(e.message)) throw e;
      let at = 0;
      visit(this.doc, {
        Alias: (_, node) => {
          at = node.range?.[0] ?? 0;
          return visit.BREAK;
        },
      });
      return {
        issue: issue(
          this.offsetPos(at),
          `YAML aliases here expand to too many nodes (more than ${MAX_ALIAS_COUNT} uses of an anchor, counting aliases inside aliases)`,
          "write the repeated block out, or use fewer nested aliases",
        ),
      };
    }
  }

  offsetPos(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /**
   * Position of the value at `path`, or of its key when `key` is set. Falls back to the nearest
   * ancestor that exists, so every issue has a position.
   */
  pos(path: JsonPath, key = false): SourcePos {
    let via: Via | undefined;
    /** Follows an alias to its anchored node, remembering the first alias passed (where it is used). */
    const deref = (n: unknown): unknown => {
      while (isAlias(n)) {
        via ??= { alias: n.source, ...this.linePos(n.range?.[0] ?? 0) };
        n = n.resolve(this.doc);
      }
      return n;
    };
    let node: unknown = deref(this.doc.contents);
    let best: Node | null = (node as Node | null) ?? null;
    for (let i = 0; i < path.length; i++) {
      const seg = String(path[i]);
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = this.findPair(node, seg, (alias) => {
          via ??= { alias: alias.source, ...this.linePos(alias.range?.[0] ?? 0) };
        });
        if (!pair) break;
        if (last && key && pair.key) {
          best = pair.key as Node;
          break;
        }
        node = deref(pair.value);
        if (node) best = node as Node;
      } else if (isSeq(node) && typeof path[i] === "number") {
        node = deref(node.items[path[i] as number]);
        if (!node) break;
        best = node as Node;
      } else {
        break;
      }
    }
    const at = this.offsetPos(best?.range?.[0] ?? 0);
    return via ? { ...at, via } : at;
  }

  private linePos(offset: number): { line: number; col: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  /**
   * The pair of `key` in a map, looking through its merge keys (`<<: *anchor`, `<<: [*a, *b]`) as
   * YAML does: its own pairs first, then the merged maps in order. `onMerge` is told the alias a
   * merged pair was found through.
   */
  private findPair(map: YAMLMap, key: string, onMerge: (alias: Alias) => void): Pair | undefined {
    const own = map.items.find(
      (p) => isScalar(p.key) && typeof p.key.value !== "symbol" && String(p.key.value) === key,
    );
    if (own) return own;
    for (const p of map.items) {
      if (!isScalar(p.key) || typeof p.key.value !== "symbol") continue;
      const sources = isSeq(p.value) ? p.value.items : [p.value];
      for (const source of sources) {
        if (!isAlias(source)) continue;
        const target = source.resolve(this.doc);
        if (!isMap(target)) continue;
        const found = this.findPair(target, key, onMerge);
        if (found) {
          onMerge(source);
          return found;
        }
      }
    }
    return undefined;
  }
}

/** Whether the line at `offset` holds an unquoted JSONPath with brackets (`$.a[*]`, `@.b[0]`). */
function unquotedPath(text: string, offset: number): boolean {
  const start = text.lastIndexOf("\n", Math.max(0, offset - 1)) + 1;
  const end = text.indexOf("\n", offset);
  const line = text.slice(start, end < 0 ? text.length : end);
  return /(^|[\s,[{:])[$@][.[][^\s,'"]*\[/.test(line);
}
