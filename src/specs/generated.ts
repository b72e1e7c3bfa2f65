import type { GeneratedToken } from "./types.js";

/**
 * The expressions a generated column may be computed with: columns of its row, numbers, string
 * literals, arithmetic and comparison operators, and deterministic functions both MariaDB and
 * MySQL 8 know. Anything else (another table, a subquery, NOW(), a variable, a comment) is refused,
 * so a spec cannot smuggle arbitrary SQL into the DDL; the compiler quotes every column name.
 */
export const GENERATED_FUNCTIONS: ReadonlySet<string> = new Set([
  "ABS",
  "CEIL",
  "CEILING",
  "CHAR_LENGTH",
  "COALESCE",
  "CONCAT",
  "CONCAT_WS",
  "DATE",
  "DATEDIFF",
  "DAY",
  "FLOOR",
  "GREATEST",
  "HOUR",
  "IF",
  "IFNULL",
  "JSON_EXTRACT",
  "JSON_LENGTH",
  "JSON_UNQUOTE",
  "LEAST",
  "LEFT",
  "LENGTH",
  "LOWER",
  "LPAD",
  "MINUTE",
  "MOD",
  "MONTH",
  "NULLIF",
  "RIGHT",
  "ROUND",
  "SUBSTRING",
  "TRIM",
  "TRUNCATE",
  "UPPER",
  "YEAR",
]);

const KEYWORDS: ReadonlySet<string> = new Set([
  "AND",
  "OR",
  "NOT",
  "IS",
  "NULL",
  "TRUE",
  "FALSE",
  "CASE",
  "WHEN",
  "THEN",
  "ELSE",
  "END",
  "IN",
  "BETWEEN",
  "LIKE",
  "DIV",
]);

const OPERATORS = ["<=>", "<=", ">=", "<>", "!=", "+", "-", "*", "/", "%", "=", "<", ">"];

/** Tokens of a generated column's expression, or why it is refused. */
export function parseGenerated(expression: string): GeneratedToken[] | { error: string } {
  const tokens: GeneratedToken[] = [];
  let depth = 0;
  let i = 0;
  const s = expression;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = s.slice(i);
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)?.[0];
    if (word) {
      const upper = word.toUpperCase();
      const call = /^\s*\(/.test(s.slice(i + word.length));
      if (KEYWORDS.has(upper)) tokens.push({ kind: "keyword", text: upper });
      else if (call) {
        if (!GENERATED_FUNCTIONS.has(upper))
          return {
            error: `function ${word}() is not allowed in a generated column (allowed: ${[...GENERATED_FUNCTIONS].join(", ")})`,
          };
        tokens.push({ kind: "function", text: upper });
      } else tokens.push({ kind: "column", name: word });
      i += word.length;
      continue;
    }
    const number = /^\d+(\.\d+)?/.exec(rest)?.[0];
    if (number) {
      tokens.push({ kind: "number", text: number });
      i += number.length;
      continue;
    }
    if (c === "'") {
      // A string literal: '' is a quote; no backslash escapes (their meaning depends on sql_mode).
      let j = i + 1;
      let text = "";
      for (;;) {
        if (j >= s.length) return { error: "a string literal is not closed with '" };
        if (s[j] === "'" && s[j + 1] === "'") {
          text += "'";
          j += 2;
        } else if (s[j] === "'") break;
        else if (s[j] === "\\") return { error: "backslashes are not allowed in a string literal" };
        else text += s[j++];
      }
      tokens.push({ kind: "string", text });
      i = j + 1;
      continue;
    }
    if (c === "(" || c === ")") {
      depth += c === "(" ? 1 : -1;
      if (depth < 0) return { error: "a ) has no matching (" };
      tokens.push({ kind: "paren", text: c });
      i++;
      continue;
    }
    if (c === ",") {
      tokens.push({ kind: "comma", text: "," });
      i++;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op) {
      tokens.push({ kind: "operator", text: op });
      i += op.length;
      continue;
    }
    return {
      error: `unexpected ${JSON.stringify(c)} at character ${i + 1} (quotes, comments, variables and ; are not allowed)`,
    };
  }
  if (depth !== 0) return { error: "a ( is not closed with )" };
  if (tokens.length === 0) return { error: "the expression is empty" };
  return tokens;
}

/** The columns an expression reads. */
export function generatedColumns(tokens: readonly GeneratedToken[]): string[] {
  return [...new Set(tokens.flatMap((t) => (t.kind === "column" ? [t.name] : [])))];
}
