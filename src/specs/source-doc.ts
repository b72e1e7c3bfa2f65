import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from "yaml";
import { issue, type SpecIssue } from "./issues.js";
import type { SourcePos } from "./types.js";

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
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
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
      return issue(at, `YAML syntax error: ${message}`, "fix the YAML syntax at this position");
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
    let node: unknown = this.doc.contents;
    let best: Node | null = (this.doc.contents as Node | null) ?? null;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        if (!pair) break;
        if (last && key && pair.key) {
          best = pair.key as Node;
          break;
        }
        node = pair.value;
        if (node) best = node as Node;
      } else if (isSeq(node) && typeof seg === "number") {
        node = node.items[seg];
        if (!node) break;
        best = node as Node;
      } else {
        break;
      }
    }
    const offset = best?.range?.[0] ?? 0;
    return this.offsetPos(offset);
  }
}
