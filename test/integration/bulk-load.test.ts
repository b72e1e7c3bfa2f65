import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deferrableIndexes } from "../../src/compile/bulk-load.js";
import { compile } from "../../src/compile/compile.js";
import { deferIndexes } from "../../src/jobs/bulk-load.js";
import { MysqlSink } from "../../src/sink/mysql-sink.js";
import { cli, cliAsync, EXAMPLES } from "../helpers/cli.js";
import { createTestDb, indexesOf as indexes, type TestDb } from "../helpers/db.js";
import { loadSpecDirOrThrow } from "../helpers/specs.js";
import { streamFile } from "../helpers/streams.js";
import { waitFor } from "../helpers/wait.js";

const catalog = compile(loadSpecDirOrThrow("projections"));
const deferrable = catalog.tables.reduce((n, t) => n + deferrableIndexes(t.spec).length, 0);

function replay(db: TestDb, ...args: string[]): Record<string, unknown> {
  const r = cli(["replay", EXAMPLES, "--json", ...args], { MYSQL_URL: db.url });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("replay into empty tables builds their secondary indexes after the load", () => {
  let bulk: TestDb;
  let plain: TestDb;
  let bulkSummary: Record<string, unknown>;

  beforeAll(async () => {
    bulk = await createTestDb();
    plain = await createTestDb();
    bulkSummary = replay(bulk, "--defer-indexes", "always");
  });
  afterAll(async () => {
    await bulk.drop();
    await plain.drop();
  });

  it("defers the catalog's lookup-free indexes, builds them, and leaves the tables a plain replay leaves", async () => {
    expect(deferrable).toBeGreaterThan(20);
    expect(bulkSummary.indexes_built_after_load).toMatchObject({ built: deferrable });
    const plainSummary = replay(plain, "--defer-indexes", "never");
    expect(plainSummary.indexes_built_after_load).toBeUndefined();
    expect(await indexes(bulk)).toEqual(await indexes(plain));
    expect(await bulk.dump()).toEqual(await plain.dump());
  });

  it("keeps the index on a child's parent key (order_items' primary key leads with it)", () => {
    const items = catalog.tableByName.get("order_items")!.spec;
    expect(deferrableIndexes(items).map((i) => i.name)).toEqual([
      "idx_order_items_product_id",
      "idx_order_items_supplier_id",
    ]);
  });

  it("defers only the empty tables' indexes, and nothing under auto for a small file", async () => {
    let empty = 0;
    for (const t of catalog.tables) {
      const [r] = await bulk.rows<{ n: number }>(`SELECT COUNT(*) n FROM ${t.quoted}`);
      if (Number(r!.n) === 0) empty += deferrableIndexes(t.spec).length;
    }
    expect(empty).toBeLessThan(deferrable); // the examples fill most tables
    const again = replay(bulk, "--defer-indexes", "always");
    expect((again.indexes_built_after_load as { built: number } | undefined)?.built ?? 0).toBe(empty);
    const db = await createTestDb();
    try {
      expect(replay(db).indexes_built_after_load).toBeUndefined(); // auto, 44 events
    } finally {
      await db.drop();
    }
  });

  it("a load stopped before it built them: the next start's migrate adds them", async () => {
    const db = await createTestDb();
    const sink = new MysqlSink(db.url);
    try {
      expect(cli(["migrate"], { MYSQL_URL: db.url }).status).toBe(0);
      const full = await indexes(db);
      const deferred = await deferIndexes(
        sink,
        catalog.tables.map((t) => ({ name: t.name, spec: t.spec })),
      );
      expect(deferred?.indexes).toBe(deferrable);
      expect((await indexes(db)).length).toBeLessThan(full.length);
      // Killed here: the next replay starts with migrate, which puts them back.
      replay(db, "--defer-indexes", "never");
      expect(await indexes(db)).toEqual(full);
    } finally {
      await sink.close();
      await db.drop();
    }
  });

  it("a replay stopped by a signal builds them before it exits", async () => {
    const file = await streamFile(30_000, 21);
    const db = await createTestDb();
    try {
      const p = cliAsync(["replay", file, "--json", "--defer-indexes", "always", "--batch-size", "200"], {
        MYSQL_URL: db.url,
      });
      // Stopped once some rows are in, well before the end.
      await waitFor("rows loaded", async () => {
        const [r] = await db.rows<{ n: number }>("SELECT COUNT(*) n FROM order_events");
        return Number(r?.n) > 500;
      });
      p.kill("SIGTERM");
      const r = await p.done;
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.read).toBeLessThan(30_044);
      expect(summary.indexes_built_after_load).toMatchObject({ built: deferrable });
      expect(await indexes(db)).toEqual(await indexes(bulk));
    } finally {
      await db.drop();
    }
  }, 120_000);

  it("refuses a --defer-indexes it does not know", () => {
    const r = cli(["replay", EXAMPLES, "--defer-indexes", "sometimes"], {
      MYSQL_URL: "mysql://root@127.0.0.1:1/none",
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("--defer-indexes must be one of auto, always, never");
  });
});
