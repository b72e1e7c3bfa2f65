import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { testScope } from "../helpers/kafka/scope.js";

/**
 * The docs' cookbook (docs/cookbook/): each recipe is a projections folder (YAML only), a JSONL
 * stream and the queries an analyst would run. Each is validated, its examples pass `projector
 * test`, its stream is replayed into the database, and each query gives the result written in
 * its expected.json and shown in docs/cookbook/README.md. `COOKBOOK_WRITE=1` rewrites expected.json
 * from the database (to review before committing).
 */
const root = "docs/cookbook";
const recipes = readdirSync(root).filter((d) => existsSync(join(root, d, "events.jsonl")));
const scope = testScope();

/** The queries of a queries.sql: `-- name: …` starts one, its comment lines describe it. */
function queries(dir: string): { name: string; sql: string }[] {
  const text = readFileSync(join(dir, "queries.sql"), "utf8");
  return text
    .split(/^-- name: /m)
    .slice(1)
    .map((part) => {
      const [name, ...lines] = part.split("\n");
      const sql = lines
        .filter((l) => !l.startsWith("--"))
        .join("\n")
        .trim();
      return { name: name!.trim(), sql };
    });
}

describe("the cookbook", () => {
  it("has five recipes, each in the README", () => {
    expect(recipes.sort()).toEqual(["disputes", "fulfilment", "invoices", "loyalty", "warehouses"]);
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const r of recipes) for (const q of queries(join(root, r))) expect(readme).toContain(q.sql);
  });

  for (const recipe of recipes)
    it(`${recipe}: validate, test, replay its stream, and its queries give what the README shows`, async () => {
      const dir = join(root, recipe);
      const validate = cli(["validate", "--projections", dir]);
      expect(validate.status, validate.stderr).toBe(0);
      const examples = cli(["test", "--projections", dir]);
      expect(examples.status, examples.stdout + examples.stderr).toBe(0);
      const db = await scope.db();
      const replay = cli(["replay", join(dir, "events.jsonl"), "--json", "--projections", dir], {
        MYSQL_URL: db.url,
      });
      expect(replay.status, replay.stderr).toBe(0);
      expect(JSON.parse(replay.stdout)).toMatchObject({ dead_lettered: 0 });
      // The loyalty stream delivers two counting events twice: counted once, the second left out.
      if (recipe === "loyalty") expect(JSON.parse(replay.stdout)).toMatchObject({ already_counted: 2 });
      const results: Record<string, unknown[]> = {};
      for (const q of queries(dir)) results[q.name] = await db.rows(q.sql);
      const file = join(dir, "expected.json");
      if (process.env.COOKBOOK_WRITE === "1") writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
      expect(results).toEqual(JSON.parse(readFileSync(file, "utf8")));
      // The README shows each result row as a table row.
      const readme = readFileSync(join(root, "README.md"), "utf8");
      for (const rows of Object.values(results))
        for (const row of rows as Record<string, unknown>[])
          expect(readme).toContain(
            `| ${Object.values(row)
              .map((v) => (v === null ? "NULL" : String(v)))
              .join(" | ")} |`,
          );
    });
});
