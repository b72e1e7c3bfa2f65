import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { checkExamples } from "../../src/examples/check-examples.js";
import { formatIssue } from "../../src/specs/issues.js";
import { loadSpecDir } from "../helpers/specs.js";

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
