import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { DIALECTS } from "../../src/compile/sql.js";
import { describeAction } from "../../src/compile/statements.js";
import { insertCountedStatement, selectCountedStatement } from "../../src/store/counted.js";
import { loadSpecDir } from "../helpers/specs.js";

/**
 * Golden files: the exact DDL and statements the shipped projections compile to. A change here is a
 * schema or SQL change the reviewer must see; regenerate with `npx vitest run -u test/unit/golden.test.ts`.
 */
const { spec, issues } = loadSpecDir(fileURLToPath(new URL("../../projections", import.meta.url)));

it("the shipped projections load with no issues", () => {
  expect(issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`)).toEqual([]);
});

describe.each(DIALECTS)("golden SQL of the shipped projections (%s)", (dialect) => {
  const plan = compile(spec, dialect);

  it("DDL of every table, parents before children", async () => {
    const text = `${plan.tables.map((t) => t.ddl).join(";\n\n")};\n`;
    await expect(text).toMatchFileSnapshot(`../golden/ddl.${dialect}.sql`);
  });

  it("statements of every event type", async () => {
    const parts: string[] = [];
    for (const [eventType, actions] of plan.events) {
      parts.push(`-- ${eventType}`);
      for (const a of actions) for (const sql of describeAction(a, dialect)) parts.push(`${sql};`);
      parts.push("");
    }
    await expect(parts.join("\n")).toMatchFileSnapshot(`../golden/statements.${dialect}.sql`);
  });

  it("binds every value as a parameter: no quoted literal in any statement", () => {
    for (const actions of plan.events.values())
      for (const a of actions) for (const sql of describeAction(a, dialect)) expect(sql).not.toMatch(/'/);
  });
});

/**
 * The spec language's newer forms, in the fixture domains that use them: extend (fulfilment),
 * stamp: false and set-once updates (fulfilment), nested replaces (warehouses), with (payments),
 * counters and marks, aggregates (loyalty), guard groups (disputes).
 */
describe.each(DIALECTS)("golden SQL of the newer forms (%s)", (dialect) => {
  for (const domain of ["fulfilment", "warehouses", "payments", "loyalty", "disputes"]) {
    it(`${domain}: DDL and statements`, async () => {
      const dir = domain === "payments" ? `../fixtures/domains/${domain}` : `../../docs/cookbook/${domain}`;
      const loaded = loadSpecDir(fileURLToPath(new URL(dir, import.meta.url)));
      expect(loaded.issues).toEqual([]);
      const plan = compile(loaded.spec, dialect);
      // The tables of counted events (combine: add/subtract) are the engine's, beside their tables.
      const counted = plan.engineTables.filter((t) => t.name.endsWith("__counted"));
      const parts = [`${[...plan.tables, ...counted].map((t) => t.ddl).join(";\n\n")};`, ""];
      for (const [eventType, actions] of plan.events) {
        parts.push(`-- ${eventType}`);
        for (const a of actions) {
          for (const sql of describeAction(a, dialect)) parts.push(`${sql};`);
          // A counting action looks its event up before the batch is decided, and records it.
          if (a.counted)
            for (const s of [
              selectCountedStatement(a.table.counted!, [Buffer.alloc(20)]),
              insertCountedStatement(a.table.counted!, [Buffer.alloc(20)]),
            ])
              parts.push(`${s.sql};`);
        }
        parts.push("");
      }
      await expect(parts.join("\n")).toMatchFileSnapshot(`../golden/domains/${domain}.${dialect}.sql`);
    });
  }
});
