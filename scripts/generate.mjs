#!/usr/bin/env node
// Writes what the spec language's registries derive (run after `npm run build`, as `npm run generate`):
//   - the transforms' branches of the value schema and the action's mode keys in
//     schema/projection.schema.json (for editors; the loader builds them from the registries itself);
//   - the tables of transforms and of modes in docs/spec-language.md, between their markers.
// test/unit/registries.test.ts fails when either is out of step with src/language/ and src/specs/modes/.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const { withTransforms } = await import(join(repo, "dist/src/specs/schema-check.js"));
const { transformTable } = await import(join(repo, "dist/src/language/schema.js"));
const { modeTable } = await import(join(repo, "dist/src/specs/modes/registry.js"));

const schemaFile = join(repo, "schema/projection.schema.json");
const schema = withTransforms(JSON.parse(readFileSync(schemaFile, "utf8")));
writeFileSync(schemaFile, `${JSON.stringify(schema, null, 2)}\n`);
execFileSync(join(repo, "node_modules/.bin/biome"), ["format", "--write", schemaFile], { stdio: "ignore" });

const docsFile = join(repo, "docs/spec-language.md");
let docs = readFileSync(docsFile, "utf8");
for (const [name, table] of [
  ["transforms", transformTable()],
  ["modes", modeTable()],
]) {
  const start = docs.indexOf(`<!-- ${name}:start`);
  const end = docs.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < 0) throw new Error(`docs/spec-language.md has no ${name} markers`);
  docs = `${docs.slice(0, docs.indexOf("\n", start) + 1)}${table}\n${docs.slice(end)}`;
}
writeFileSync(docsFile, docs);
console.log(
  "generated: schema/projection.schema.json (value branches, mode keys), docs/spec-language.md (transforms and modes tables)",
);
