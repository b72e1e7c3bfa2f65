import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { checkExamples } from "../../src/examples/check-examples.js";
import { formatIssue } from "../../src/specs/issues.js";
import { loadSpecDir, loadSpecTexts } from "../helpers/specs.js";

describe("projector test compares exactly", () => {
  const { spec, issues } = loadSpecDir(
    fileURLToPath(new URL("../fixtures/strict-examples", import.meta.url)),
  );
  const results = checkExamples(compile(spec));
  const failures = (name: string) => results.find((r) => r.example.name === name)?.failures;

  it("loads", () => {
    expect(issues.map(formatIssue)).toEqual([]);
  });

  it("a string is not a number with other digits (but a decimal's 12.50 is 12.5)", () => {
    expect(failures("a zero-padded code is not the number 7")).toEqual([
      'operation 1 (upsert parents): column code is "007", expected 7',
    ]);
  });

  it("absent: applies to the rows of a replace too", () => {
    expect(failures("a child column listed as absent is written")).toEqual([
      'operation 2 (replace kids) row 1: column sku must not be written, but is "A"',
    ]);
  });
});

describe("projector test compares a transform's decimal at the column's scale (issue 27)", () => {
  const { spec, issues } = loadSpecTexts([
    {
      file: "t.yaml",
      text: `tables:
  t: { primary_key: [id], columns: { id: { type: varchar(10) }, a: { type: "decimal(12,2)" }, b: { type: "decimal(12,2)" } } }
events:
  t.created:
    - upsert: t
      columns: { id: $.entity_id, a: { div: [$.data.a, 100] }, b: { div: [$.data.b, 100] } }
examples:
  - name: unpadded numbers
    event: { event_type: t.created, event_id: e1, timestamp: "2025-01-01T00:00:00Z", entity_id: x, data: { a: 250, b: 50000 } }
    expect: [{ upsert: t, row: { id: x, a: 2.5, b: 500 } }]
  - name: padded text
    event: { event_type: t.created, event_id: e1, timestamp: "2025-01-01T00:00:00Z", entity_id: x, data: { a: 250, b: 50000 } }
    expect: [{ upsert: t, row: { id: x, a: "2.50", b: "500.00" } }]
  - name: another value still fails
    event: { event_type: t.created, event_id: e1, timestamp: "2025-01-01T00:00:00Z", entity_id: x, data: { a: 250, b: 50000 } }
    expect: [{ upsert: t, row: { id: x, a: 2.51 } }]
`,
    },
  ]);
  const results = checkExamples(compile(spec));
  const failures = (name: string) => results.find((r) => r.example.name === name)?.failures;

  it("2.5 and 2.50, 500 and 500.00 all match what MySQL stores; 2.51 does not", () => {
    expect(issues).toEqual([]);
    expect(failures("unpadded numbers")).toEqual([]);
    expect(failures("padded text")).toEqual([]);
    expect(failures("another value still fails")).toEqual([
      'operation 1 (upsert t): column a is "2.50", expected 2.51',
    ]);
  });
});
