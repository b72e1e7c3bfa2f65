#!/usr/bin/env node
// Writes what the spec language's registry derives (run after `npm run build`, as `npm run generate`):
//   - the transforms' branches of the value schema in schema/projection.schema.json (for editors;
//     the loader builds them from the registry itself);
//   - the table of transforms in docs/spec-language.md, between its markers.
// test/unit/transform-registry.test.ts fails when either is out of step with src/language/.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const { withTransforms } = await import(join(repo, "dist/src/specs/schema-check.js"));
const { transformTable } = await import(join(repo, "dist/src/language/schema.js"));

const schemaFile = join(repo, "schema/projection.schema.json");
const schema = withTransforms(JSON.parse(readFileSync(schemaFile, "utf8")));
writeFileSync(schemaFile, `${JSON.stringify(schema, null, 2)}\n`);
execFileSync(join(repo, "node_modules/.bin/biome"), ["format", "--write", schemaFile], { stdio: "ignore" });

const docsFile = join(repo, "docs/spec-language.md");
const docs = readFileSync(docsFile, "utf8");
const start = docs.indexOf("<!-- transforms:start");
const end = docs.indexOf("<!-- transforms:end -->");
if (start < 0 || end < 0) throw new Error("docs/spec-language.md has no transforms markers");
const head = docs.slice(0, docs.indexOf("\n", start) + 1);
writeFileSync(docsFile, `${head}${transformTable()}\n${docs.slice(end)}`);
console.log(
  "generated: schema/projection.schema.json (value branches), docs/spec-language.md (transforms table)",
);
