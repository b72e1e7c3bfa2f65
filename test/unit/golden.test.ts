import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { describeAction } from "../../src/compile/statements.js";
import { loadSpecDir } from "../helpers/specs.js";

/**
 * Golden files: the exact DDL and statements the shipped projections compile to. A change here is a
 * schema or SQL change the reviewer must see; regenerate with `npx vitest run -u test/unit/golden.test.ts`.
 */
describe("golden SQL of the shipped projections", () => {
  const { spec, issues } = loadSpecDir(fileURLToPath(new URL("../../projections", import.meta.url)));
  const plan = compile(spec);

  it("load with no issues", () => {
    expect(issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`)).toEqual([]);
  });

  it("DDL of every table, parents before children", async () => {
    const text = `${plan.tables.map((t) => t.ddl).join(";\n\n")};\n`;
    await expect(text).toMatchFileSnapshot("../golden/ddl.sql");
  });

  it("statements of every event type", async () => {
    const parts: string[] = [];
    for (const [eventType, actions] of plan.events) {
      parts.push(`-- ${eventType}`);
      for (const a of actions) for (const sql of describeAction(a)) parts.push(`${sql};`);
      parts.push("");
    }
    await expect(parts.join("\n")).toMatchFileSnapshot("../golden/statements.sql");
  });

  it("binds every value as a parameter: no quoted literal in any statement", () => {
    for (const actions of plan.events.values())
      for (const a of actions) for (const sql of describeAction(a)) expect(sql).not.toMatch(/'/);
  });
});
