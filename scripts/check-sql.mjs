#!/usr/bin/env node
// SQL text has its homes: the compiler (src/compile/) builds the DDL (the engine tables' too) and
// the statements of the user's tables, the store (src/store/) those of the engine's own tables, the
// sink (src/sink/) runs them (and holds its session SQL). This check, run by `npm run check`, fails
// on a string or template literal that reads like SQL anywhere else in src/.
// Usage: node scripts/check-sql.mjs [root]
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = process.argv[2] ?? join(import.meta.dirname, "..");
const HOMES = ["src/compile/", "src/store/", "src/sink/"];
const SQL =
  /\b(SELECT\s+[\w`*(].*\bFROM|INSERT\s+INTO|UPDATE\s+[`\w]+(\s+AS\s+\w+)?\s+(SET|JOIN)|DELETE\s+(\w+\s+)?FROM|ALTER\s+TABLE|(CREATE|DROP)\s+(TABLE|DATABASE|INDEX)\s+(IF\s+(NOT\s+)?EXISTS\s+)?(\\?`|\$\{|\w+\s*\()|START\s+TRANSACTION|ON\s+DUPLICATE\s+KEY|SHOW\s+(TABLES|DATABASES))\b/i;
/** String and template literals of a line (a comment line has none). */
const LITERAL = /(["'`])((?:\\.|(?!\1).)*)\1/g;

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.(ts|mts|js|mjs)$/.test(e.name)) yield p;
  }
}

const found = [];
for (const file of files(join(root, "src"))) {
  const rel = relative(root, file).split("\\").join("/");
  if (HOMES.some((h) => rel.startsWith(h))) continue;
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const code = line.trim();
      if (code.startsWith("//") || code.startsWith("*") || code.startsWith("/*")) return;
      for (const m of code.matchAll(LITERAL))
        if (SQL.test(m[2])) found.push(`${rel}:${i + 1}: ${m[0].slice(0, 100)}`);
    });
}
if (found.length > 0) {
  console.error(
    `SQL text outside ${HOMES.join(", ")} (build statements in src/compile/ or src/store/, run them through the sink):\n${found.join("\n")}`,
  );
  process.exit(1);
}
console.log(`no SQL text outside ${HOMES.join(", ")}`);
