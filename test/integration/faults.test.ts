import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliAsync } from "../helpers/cli.js";
import { createTestDb, type TestDb } from "../helpers/db.js";

describe("a replay whose MySQL connection is killed mid-stream", () => {
  let file: string;
  let reference: TestDb;
  let victim: TestDb;

  beforeAll(async () => {
    const gen = cli(["generate", "--count", "20000", "--seed", "11"]);
    expect(gen.status).toBe(0);
    file = join(mkdtempSync(join(tmpdir(), "pj-kill-")), "stream.jsonl");
    writeFileSync(file, gen.stdout);
    reference = await createTestDb();
    victim = await createTestDb();
    expect(cli(["replay", file], { MYSQL_URL: reference.url }).status).toBe(0);
  });
  afterAll(async () => {
    await reference.drop();
    await victim.drop();
  });

  it("ends with the same tables as an undisturbed replay", async () => {
    const run = cliAsync(["replay", file, "--json", "--batch-size", "250"], { MYSQL_URL: victim.url });
    let kills = 0;
    const deadline = Date.now() + 60_000;
    // Kill the projector's connection twice, each time once it has written some rows.
    while (kills < 2 && Date.now() < deadline) {
      const [orders] = await victim
        .rows<{ n: number }>("SELECT COUNT(*) n FROM orders")
        .catch(() => [{ n: 0 }]);
      if ((orders?.n ?? 0) > 500 * (kills + 1)) {
        const ids = await victim.rows<{ ID: number }>(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()",
          [victim.name],
        );
        for (const { ID } of ids)
          await victim.conn.query(`KILL CONNECTION ${Number(ID)}`).catch(() => undefined);
        if (ids.length > 0) kills++;
      }
      await sleep(20);
    }
    const result = await run.done;
    expect(result.status, result.stderr).toBe(0);
    expect(kills).toBe(2);
    const summary = JSON.parse(result.stdout);
    expect(summary.retries).toBeGreaterThanOrEqual(1);
    expect(summary.read).toBe(20000);
    expect(await victim.dump()).toEqual(await reference.dump());
  });
});

describe("migrate", () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db.drop());

  it("--dry-run prints the statements and creates nothing", async () => {
    const r = cli(["migrate", "--dry-run"], { MYSQL_URL: db.url });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("CREATE TABLE IF NOT EXISTS `projector_dead_letters`");
    expect(r.stdout).toContain("CREATE TABLE IF NOT EXISTS `orders`");
    expect(r.stdout).toContain("-- dry run: 21 statement(s) not executed");
    expect(await db.rows("SHOW TABLES")).toEqual([]);
  });

  it("creates every table, then does nothing on a second run", async () => {
    const first = cli(["migrate"], { MYSQL_URL: db.url });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("-- 21 statement(s) executed");
    expect(await db.rows("SHOW TABLES")).toHaveLength(21);
    const second = cli(["migrate"], { MYSQL_URL: db.url });
    expect(second.stdout.trim()).toBe(`-- ${db.name} is up to date (19 tables)`);
  });

  it("adds missing columns and indexes, widens a narrowed varchar, and never drops", async () => {
    await db.conn.query(
      "ALTER TABLE users DROP COLUMN bio, DROP INDEX idx_users_email, MODIFY COLUMN phone VARCHAR(10) NULL",
    );
    await db.conn.query("ALTER TABLE orders ADD COLUMN legacy_note TEXT NULL");
    const r = cli(["migrate"], { MYSQL_URL: db.url });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("ALTER TABLE `users` ADD COLUMN `bio` VARCHAR(500) NULL;");
    expect(r.stdout).toContain("ALTER TABLE `users` MODIFY COLUMN `phone` VARCHAR(50) NULL;");
    expect(r.stdout).toContain("ALTER TABLE `users` ADD KEY `idx_users_email` (`email`);");
    const cols = await db.rows<{ c: string }>(
      "SELECT COLUMN_NAME c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' AND COLUMN_NAME = 'legacy_note'",
    );
    expect(cols).toEqual([{ c: "legacy_note" }]);
    expect(cli(["migrate"], { MYSQL_URL: db.url }).stdout.trim()).toBe(
      `-- ${db.name} is up to date (19 tables)`,
    );
  });
});

describe("generate", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    const a = cli(["generate", "--count", "2000", "--seed", "5"]);
    const b = cli(["generate", "--count", "2000", "--seed", "5"]);
    const c = cli(["generate", "--count", "2000", "--seed", "6"]);
    expect(a.status).toBe(0);
    expect(a.stdout.trim().split("\n")).toHaveLength(2000);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).not.toBe(a.stdout);
    const types = new Set(
      a.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).event_type),
    );
    expect(types.size).toBeGreaterThanOrEqual(40);
  });
});

describe("batching", () => {
  it("does not change the result: one event per transaction and 1000 per transaction give identical tables", async () => {
    const gen = cli(["generate", "--count", "4000", "--seed", "21"]);
    const file = join(mkdtempSync(join(tmpdir(), "pj-batch-")), "stream.jsonl");
    writeFileSync(file, gen.stdout);
    const one = await createTestDb();
    const many = await createTestDb();
    try {
      const a = cli(["replay", file, "--batch-size", "1", "--json"], { MYSQL_URL: one.url });
      const b = cli(["replay", file, "--batch-size", "1000", "--json"], { MYSQL_URL: many.url });
      expect(a.status, a.stderr).toBe(0);
      expect(b.status, b.stderr).toBe(0);
      expect(JSON.parse(a.stdout).batches).toBe(4000);
      expect(JSON.parse(b.stdout).batches).toBe(4);
      expect(await many.dump()).toEqual(await one.dump());
    } finally {
      await one.drop();
      await many.drop();
    }
  }, 180_000);
});
