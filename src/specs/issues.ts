import type { SourcePos } from "./types.js";

/** One problem found in a spec: where it is, what is wrong, and how to fix it. */
export interface SpecIssue extends SourcePos {
  readonly message: string;
  readonly hint?: string;
}

/** Thrown when specs cannot be loaded; carries every issue found, not only the first. */
export class SpecError extends Error {
  constructor(readonly issues: readonly SpecIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.name = "SpecError";
  }
}

/** `file:line:col: message (hint)` — the format editors and CI annotate. */
export function formatIssue(issue: SpecIssue): string {
  const hint = issue.hint ? ` (${issue.hint})` : "";
  const via = issue.via ? ` (via *${issue.via.alias} at ${issue.via.line}:${issue.via.col})` : "";
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}${hint}${via}`;
}

export function issue(pos: SourcePos, message: string, hint?: string): SpecIssue {
  return hint === undefined ? { ...pos, message } : { ...pos, message, hint };
}

/** Words close in spelling but far in meaning: never offered for each other. */
const UNRELATED: ReadonlySet<string> = new Set(["when:where", "where:when"]);

/** "did you mean x?" for the closest candidate within a small edit distance, else undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (UNRELATED.has(`${word.toLowerCase()}:${candidate.toLowerCase()}`)) continue;
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? `did you mean ${best}?` : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}
