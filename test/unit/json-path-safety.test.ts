import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, it as property } from "@fast-check/vitest";
import { JSONPath } from "jsonpath-plus";
import { afterAll, describe, expect, it } from "vitest";
import { ABSENT, compilePath, simpleSegments } from "../../src/values/json-path.js";
import { cli, REPO } from "../helpers/cli.js";

/**
 * Spec paths are parsed and evaluated by projector itself (src/values/json-path-*.ts): no text of
 * a spec or an event ever runs as JavaScript. jsonpath-plus is only the yardstick here.
 */

const key = fc.constantFrom("a", "b", "c");
// Strings and object keys that look like indexes are left out: jsonpath-plus indexes into strings
// and takes [0] as a key of an object, where projector's paths (simple or not) do neither.
const doc = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, 1, 0, "", true, false),
    tie("arr"),
    tie("obj"),
  ),
  arr: fc.array(tie("node"), { maxLength: 3 }),
  obj: fc.dictionary(key, tie("node"), { maxKeys: 3 }),
})).obj;
const step = fc.constantFrom(
  ".a",
  ".b",
  "['c']",
  "['a','b']",
  "[0]",
  "[1]",
  ".0",
  "[*]",
  ".*",
  "..a",
  "..*",
  "..[0]",
  "[0:2]",
  "[1:]",
  "[::2]",
  "[0,1]",
);
const path = fc.array(step, { minLength: 1, maxLength: 4 }).map((s) => `$${s.join("")}`);

describe("complex paths match jsonpath-plus 11 (its evaluation of scripts off) on every form but filters", () => {
  property.prop([doc, path], { numRuns: 2000 })("same matches, same order", (d, p) => {
    // Simple paths walk through null to null, by design (absent vs null): not jsonpath-plus's way.
    if (simpleSegments(p)) return;
    const theirs = JSONPath({ path: p, json: d, wrap: true, eval: false }) as unknown[];
    const expected = theirs.length === 0 ? ABSENT : theirs.length === 1 ? theirs[0] : theirs;
    const ours = compilePath(p)(d);
    // A trailing [*] after a plain path is always an array, even of one element (docs: Several matches).
    if (/^\$(\.[a-c]|\['c'\]|\[\d\]|\.0)*(\[\*\]|\.\*)$/.test(p)) {
      expect(ours === ABSENT ? ABSENT : ours).toEqual(
        theirs.length === 0 ? ours : theirs.length === 1 && Array.isArray(ours) ? [theirs[0]] : theirs,
      );
      return;
    }
    expect(ours).toEqual(expected);
  });
});

describe("a hostile filter in a spec runs no code", () => {
  const dir = mkdtempSync(join(tmpdir(), "projector-hostile-path-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, "pwned");
  // The known escapes of jsonpath-plus's "safe" evaluator reach the Function constructor from a
  // filter; both shapes would write `marker`.
  const escapes = [
    `$.data.items[?(@.constructor.constructor('return process')().mainModule.require('fs').writeFileSync('${marker}','x'))]`,
    `$..[?(p="this.process.mainModule.require('fs').writeFileSync('${marker}','x')";a=''[['constructor']][['constructor']](p);a())]`,
  ];
  const spec = (where: "column" | "for_each", path: string) => `tables:
  things:
    primary_key: [id]
    columns:
      id: { type: varchar(24) }
      n: { type: int, nullable: true }
  parts:
    parent: { table: things, columns: [id] }
    primary_key: [id, pos]
    columns:
      id: { type: varchar(24) }
      pos: { type: int }
events:
  thing.created:
    - upsert: things
      columns: { id: $.entity_id, n: ${where === "column" ? JSON.stringify(path) : "$.data.n"} }
    - replace: parts
      where: { id: $.entity_id }
      for_each: ${where === "for_each" ? JSON.stringify(path) : "$.data.items"}
      columns: { pos: "@position" }
examples:
  - name: runs the path
    event: { event_type: thing.created, event_id: e1, timestamp: "2025-01-01T00:00:00Z", entity_id: t1, data: { n: 1, items: [{ a: 1 }] } }
    expect:
      - upsert: things
        row: { id: t1 }
`;

  for (const [i, path] of escapes.entries())
    for (const where of ["column", "for_each"] as const)
      it(`escape ${i + 1} as a ${where} path: validate and test refuse the spec (exit 1, with a hint), and nothing runs`, () => {
        const specs = join(dir, `${where}-${i}`);
        mkdirSync(specs, { recursive: true });
        writeFileSync(join(specs, "things.yaml"), spec(where, path));
        for (const command of ["validate", "test"]) {
          const r = cli([command, "--projections", specs]);
          expect(r.status, r.stdout + r.stderr).toBe(1);
          expect(r.stderr).toMatch(
            /things\.yaml:\d+:\d+: path .* does not compile: unexpected .* in the filter: a filter compares values, like \[\?\(@\.qty > 1\)\]/,
          );
          expect(existsSync(marker)).toBe(false);
        }
      });
});

describe("nothing in src/ evaluates text as code", () => {
  it("no eval, Function constructor, vm module or jsonpath-plus", () => {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith(".ts"))
          readFileSync(p, "utf8")
            .split("\n")
            .forEach((line, n) => {
              if (
                /\beval\s*\(|new\s+Function\b|\bFunction\s*\(|["']node:vm["']|["']vm["']|["']jsonpath-plus["']/.test(
                  line,
                )
              )
                found.push(`${p}:${n + 1}: ${line.trim()}`);
            });
      }
    };
    walk(join(REPO, "src"));
    expect(found).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
    expect(Object.keys(pkg.dependencies)).not.toContain("jsonpath-plus");
  });
});
