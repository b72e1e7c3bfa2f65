import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";

/** `projector test` output: each failure with its details right under it, in the examples' order. */
describe("projector test prints each failure with its details, in order", () => {
  const dir = mkdtempSync(join(tmpdir(), "projector-test-cmd-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, "things.yaml"),
    `tables:
  things:
    primary_key: [id]
    columns:
      id: { type: varchar(24) }
      name: { type: varchar(50), nullable: true }
      size: { type: int, nullable: true }
events:
  thing.created:
    - upsert: things
      columns: { id: $.entity_id, name: { upper: $.data.name }, size: $.data.size }
examples:
  - name: two differences
    event: { event_type: thing.created, event_id: e1, timestamp: "2025-01-01T00:00:00Z", entity_id: t1, data: { name: ab, size: 3 } }
    expect:
      - upsert: things
        row: { id: t1, name: ab, size: 4 }
  - name: passes
    event: { event_type: thing.created, event_id: e2, timestamp: "2025-01-01T00:00:00Z", entity_id: t2, data: { name: cd } }
    expect:
      - upsert: things
        row: { id: t2, name: CD }
        absent: [size]
  - name: one difference
    event: { event_type: thing.created, event_id: e3, timestamp: "2025-01-01T00:00:00Z", entity_id: t3, data: { name: x } }
    expect:
      - upsert: things
        row: { id: t9, name: X }
`,
  );

  it("prints FAIL, its details, then the next example, then the totals; exits 1", () => {
    const r = cli(["test", "--projections", dir]);
    expect(r.status).toBe(1);
    const file = join(dir, "things.yaml");
    expect(r.stdout.split("\n")).toEqual([
      "FAIL two differences",
      `  ${file}:13:5: example "two differences": operation 1 (upsert things): column name is "AB", expected "ab"`,
      `  ${file}:13:5: example "two differences": operation 1 (upsert things): column size is 3, expected 4`,
      "ok   passes",
      "FAIL one difference",
      `  ${file}:24:5: example "one difference": operation 1 (upsert things): column id is "t3", expected "t9"`,
      "",
      "1 passed, 2 failed",
      "",
    ]);
  });

  it("passes the shipped projections' examples", () => {
    const r = cli(["test"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\n\d+ passed, 0 failed\n$/);
    expect(r.stdout).not.toContain("FAIL");
  });
});
