import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { issue, type SpecIssue } from "./issues.js";
import type { SourcePos } from "./types.js";

export type JsonPath = readonly (string | number)[];

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
        const key = text.slice(e.pos[0], e.pos[1]).trim() || "this key";
        return issue(
          at,
          `key ${key} is defined twice in the same map`,
          "each table, column and event is declared once; remove or rename the second one",
        );
      }
      return issue(
        at,
        `YAML syntax error: ${e.message.split("\n")[0]}`,
        "fix the YAML syntax at this position",
      );
    });
    return { source, issues };
  }

  /** Plain JS data of the document. */
  data(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
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
