import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { MapError, mapEvent } from "../../src/compile/map-event.js";
import { TRANSFORMS } from "../../src/language/registry.js";
import { transformTable } from "../../src/language/schema.js";
import { MODES, modeTable } from "../../src/specs/modes/registry.js";
import { SCHEMA_PATH, withTransforms } from "../../src/specs/schema-check.js";
import { loadSpecTexts } from "../helpers/specs.js";

/**
 * The registries of the spec language: the transforms (src/language/transforms/), each one's
 * examples, and the modes (src/specs/modes/); and what they derive (schema, docs' tables).
 */
describe("the transform registry", () => {
  it("finds every transform of src/language/transforms/, each with examples", () => {
    expect([...TRANSFORMS.keys()].length).toBeGreaterThanOrEqual(15);
    for (const t of TRANSFORMS.values()) expect(t.examples.length, t.name).toBeGreaterThan(0);
  });

  for (const t of TRANSFORMS.values())
    for (const [i, ex] of t.examples.entries())
      it(`${t.name}, example ${i + 1}: ${ex.value} → ${JSON.stringify(ex.out)}`, () => {
        const text = `tables:
  t:
    primary_key: [id]
    columns: { id: { type: varchar(8) }, v: { type: "${ex.column}", nullable: true } }
events:
  t.made:
    - upsert: t
      columns: { id: $.entity_id, v: ${ex.value} }
`;
        const { spec, issues } = loadSpecTexts([{ file: `${t.name}.yaml`, text }]);
        expect(issues.map((x) => x.message)).toEqual([]);
        const event = {
          event_type: "t.made",
          event_id: "e1",
          timestamp: "2025-01-01T00:00:00Z",
          entity_id: "a",
          data: ex.data,
        };
        const ops = mapEvent(compile(spec).events.get("t.made")!, event);
        if (ex.out !== null && typeof ex.out === "object" && "error" in ex.out) {
          expect(ops).toBeInstanceOf(MapError);
          expect((ops as MapError).reason).toContain((ex.out as { error: string }).error);
        } else {
          expect(ops).not.toBeInstanceOf(MapError);
          expect((ops as Exclude<typeof ops, MapError>)[0]!.values[1]).toEqual(ex.out);
        }
      });

  it("the schema file has the registries' value branches and mode keys (npm run generate writes them)", () => {
    const file = JSON.parse(readFileSync(SCHEMA_PATH, "utf8"));
    expect(file).toEqual(withTransforms(JSON.parse(readFileSync(SCHEMA_PATH, "utf8"))));
  });

  it("the docs' table of transforms is the registry's (npm run generate writes it)", () => {
    const docs = readFileSync(new URL("../../docs/spec-language.md", import.meta.url), "utf8");
    const start = docs.indexOf("\n", docs.indexOf("<!-- transforms:start")) + 1;
    expect(docs.slice(start, docs.indexOf("<!-- transforms:end -->"))).toBe(`${transformTable()}\n`);
    for (const name of TRANSFORMS.keys()) expect(docs, name).toContain(`{ ${name}: `);
  });

  it("the docs' table of modes is the registry's (npm run generate writes it)", () => {
    const docs = readFileSync(new URL("../../docs/spec-language.md", import.meta.url), "utf8");
    const start = docs.indexOf("\n", docs.indexOf("<!-- modes:start")) + 1;
    expect(docs.slice(start, docs.indexOf("<!-- modes:end -->"))).toBe(`${modeTable()}\n`);
    expect([...MODES.keys()]).toEqual(["upsert", "update", "soft_delete", "delete", "append", "replace"]);
  });
});
