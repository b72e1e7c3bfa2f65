import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import mysql from "mysql2/promise";
import { afterAll, describe, expect, it } from "vitest";
import { indexesOf, serverOptions, type TestDb } from "../helpers/db.js";
import { projector } from "../helpers/kafka/processes.js";
import { appliedCount } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { checksums, editedSpecs, PHONE_EDITS } from "../helpers/letters.js";
import { replayReference } from "../helpers/reference.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { waitFor } from "../helpers/wait.js";

const scope = testScope();
const files: string[] = [];
afterAll(() => {
  for (const f of files) rmSync(f, { recursive: true, force: true });
});

/** products.slug takes another path, and product_variants gains color from each variant's attributes. */
const VARIANTS: readonly (readonly [string, string, string])[] = [
  ["product.yaml", "    slug: $.data.slug\n", "    slug: $.data.name\n"],
  [
    "product.yaml",
    "      stock_quantity: { type: int, nullable: true }\n",
    "      stock_quantity: { type: int, nullable: true }\n      color: { type: varchar(50), nullable: true }\n",
  ],
  [
    "product.yaml",
    '      stock_quantity: "@.stock_quantity"\n',
    '      stock_quantity: "@.stock_quantity"\n      color: "@.attributes.color"\n',
  ],
];

/** A reader polling COUNT(*) of `table` on a connection of its own, as an analyst's dashboard would. */
function poller(db: TestDb, table: string) {
  const counts: number[] = [];
  const errors: string[] = [];
  let stopped = false;
  const done = (async () => {
    const conn = await mysql.createConnection({ ...serverOptions(), database: db.name });
    try {
      while (!stopped) {
        try {
          const [rows] = await conn.query(`SELECT COUNT(*) n FROM \`${table}\``);
          counts.push(Number((rows as { n: number }[])[0]!.n));
        } catch (e) {
          errors.push(String(e));
        }
        await sleep(5);
      }
    } finally {
      await conn.end();
    }
  })();
  return {
    counts,
    errors,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** The reference: a replay of `file` with the specs in `specs`, dropped at the end. */
async function reference(file: string, specs: string): Promise<TestDb> {
  return scope.keep((await replayReference(file, specs)).db);
}

async function tablesOf(db: TestDb): Promise<string[]> {
  const rows = await db.rows<{ t: string }>(
    "SELECT TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1",
  );
  return rows.map((r) => r.t);
}

interface Case {
  name: string;
  edits: typeof PHONE_EDITS;
  table: string;
  rebuilt: string[];
  /** The tables whose rows follow older specs (a child whose mapping did not change is rebuilt with its parent). */
  needs: string[];
  /** Orders are never deleted, so their count only grows; products are (product.deleted). */
  monotonic: boolean;
  dropOld: boolean;
}

const cases: Case[] = [
  {
    name: "orders gains customer_phone",
    edits: PHONE_EDITS,
    table: "orders",
    rebuilt: ["orders", "order_items"],
    needs: ["orders"],
    monotonic: true,
    dropOld: false,
  },
  {
    name: "products and product_variants change their mappings",
    edits: VARIANTS,
    table: "products",
    rebuilt: ["products", "product_variants"],
    needs: ["products", "product_variants"],
    monotonic: false,
    dropOld: true,
  },
];

describe("projector rebuild while a live run consumes and events keep arriving", () => {
  it.each(cases)(
    "$name: readers never fail, the live run stops with 3, the tables equal a replay with the new specs",
    async (c) => {
      const first = await streamFile(12_000, 41);
      const second = await streamFile(8_000, 42, false);
      const whole = join(tmpdir(), `projector-rebuild-whole-${process.pid}-${c.table}.jsonl`);
      writeFileSync(whole, readFileSync(first, "utf8") + readFileSync(second, "utf8"));
      files.push(whole);
      const specs = editedSpecs(c.edits);
      files.push(specs);
      const total = readEvents(whole).length;
      const { db, env } = await scope.kafka(3);
      const ref = reference(whole, specs);

      expect((await projector(["emit", first], env)).status).toBe(0);
      const live = scope.spawn(["run", "--batch-size", "100"], env);
      const n1 = readEvents(first).length;
      await waitFor(
        "the live run to project the first part",
        async () => (await appliedCount(db, env.KAFKA_GROUP_ID!)) >= n1,
        {
          timeoutMs: 90_000,
          intervalMs: 200,
        },
      );

      // The new specs: run refuses to write the tables with them, and says what to do.
      const refused = await projector(["run", "--until-caught-up", "--projections", specs], env);
      expect(refused.status, refused.stderr).toBe(1);
      expect(refused.stderr).toContain(`projector rebuild ${c.needs.join(" ")}`);
      const before = JSON.parse((await projector(["status", "--json", "--projections", specs], env)).stdout);
      for (const t of c.needs)
        expect(before.versions[t].state, JSON.stringify(before.versions[t])).toBe("rebuild");
      expect(before.needs_rebuild).toEqual(c.needs);
      const dry = await projector(["rebuild", c.table, "--dry-run", "--json", "--projections", specs], env);
      expect(dry.status, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout).tables.map((t: { table: string }) => t.table)).toEqual(c.rebuilt);
      expect(await tablesOf(db)).not.toContain(`${c.table}__rebuild`); // a dry run writes nothing

      // More events arrive while the rebuild runs, and a reader keeps counting.
      const reader = poller(db, c.table);
      const emitting = projector(["emit", second], env);
      const rebuild = await projector(
        [
          "rebuild",
          c.table,
          "--json",
          "--batch-size",
          "500",
          "--projections",
          specs,
          ...(c.dropOld ? ["--drop-old"] : []),
        ],
        env,
      );
      expect(rebuild.status, rebuild.stderr.slice(-3000)).toBe(0);
      const result = JSON.parse(rebuild.stdout.trim().split("\n").pop()!);
      expect(result.rebuilt).toEqual(c.rebuilt);
      expect(result.events).toBeGreaterThan(0);

      // The live run with the old specs stops by itself (exit 3), and is restarted with the new ones.
      const stopped = await live.wait(30_000);
      expect(stopped.status, stopped.stderr.slice(-2000)).toBe(3);
      expect((await emitting).status).toBe(0);
      const restarted = await projector(["run", "--until-caught-up", "--json", "--projections", specs], env);
      expect(restarted.status, restarted.stderr.slice(-2000)).toBe(0);
      expect(await appliedCount(db, env.KAFKA_GROUP_ID!)).toBe(total);
      await sleep(50);
      await reader.stop();

      expect(reader.errors).toEqual([]);
      expect(reader.counts.length).toBeGreaterThan(10);
      expect(Math.min(...reader.counts)).toBeGreaterThan(0);
      if (c.monotonic)
        for (let i = 1; i < reader.counts.length; i++)
          if (reader.counts[i]! < reader.counts[i - 1]!)
            throw new Error(
              `${c.table} shrank from ${reader.counts[i - 1]} to ${reader.counts[i]} (read ${i})`,
            );

      expect(await checksums(db)).toEqual(await checksums(await ref));
      // The shadows' secondary indexes, deferred while they were loaded, were built before the swap.
      expect(await indexesOf(db, c.rebuilt)).toEqual(await indexesOf(await ref, c.rebuilt));
      const after = JSON.parse((await projector(["status", "--json", "--projections", specs], env)).stdout);
      expect(after.needs_rebuild).toEqual([]);
      expect(after.rebuilds.map((r: { phase: string; tables: string[] }) => [r.phase, r.tables])).toEqual([
        ["done", c.rebuilt],
      ]);
      const tables = await tablesOf(db);
      for (const t of c.rebuilt) {
        expect(tables).not.toContain(`${t}__rebuild`);
        if (c.dropOld) expect(tables).not.toContain(`${t}__old`);
        else expect(tables).toContain(`${t}__old`);
      }
      if (c.table === "orders") {
        // An order of the first part, projected before the rebuild, has its phone now.
        const early = readFileSync(first, "utf8")
          .split("\n")
          .filter((l) => l.includes('"order.created"'))
          .map((l) => JSON.parse(l) as { entity_id: string; data: { customer: { phone: unknown } } })
          .find((e) => typeof e.data.customer.phone === "string")!;
        const [row] = await db.rows<{ p: string | null }>(
          "SELECT customer_phone p FROM orders WHERE order_id = ?",
          [early.entity_id],
        );
        expect(row?.p).toBe(early.data.customer.phone);
      } else {
        const [row] = await db.rows<{ n: number }>(
          "SELECT COUNT(*) n FROM product_variants WHERE color IS NOT NULL",
        );
        expect(Number(row!.n)).toBeGreaterThan(0);
      }
    },
    300_000,
  );
});
