import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, cli, cliAsync, EXAMPLES, REPO } from "../helpers/cli.js";
import { createTestDb, serverKeyCollation, type TestDb } from "../helpers/db.js";

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

/** The server's exact key collation (MariaDB's utf8mb4_nopad_bin, MySQL's utf8mb4_0900_bin). */
const KEY = await serverKeyCollation();

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
    expect(r.stdout).toContain("-- dry run: 27 statement(s) not executed");
    expect(await db.rows("SHOW TABLES")).toEqual([]);
  });

  it("creates every table, then does nothing on a second run", async () => {
    const first = cli(["migrate"], { MYSQL_URL: db.url });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("-- 27 statement(s) executed");
    expect(await db.rows("SHOW TABLES")).toHaveLength(26);
    const second = cli(["migrate"], { MYSQL_URL: db.url });
    expect(second.stdout.trim()).toBe(`-- ${db.name} is up to date (19 tables)`);
    expect(second.stderr).toBe(""); // tables it created match the spec: no warning
  });

  it("adds missing columns and indexes, widens a narrowed varchar, and never drops", async () => {
    await db.conn.query(
      "ALTER TABLE users DROP COLUMN bio, DROP INDEX idx_users_email, MODIFY COLUMN phone VARCHAR(10) NULL",
    );
    await db.conn.query("ALTER TABLE orders ADD COLUMN legacy_note TEXT NULL");
    // An event log keyed the old way (event_id alone): kept, and said so.
    await db.conn.query("ALTER TABLE order_events DROP PRIMARY KEY, ADD PRIMARY KEY (event_id)");
    const r = cli(["migrate"], { MYSQL_URL: db.url });
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split("\n")).toEqual([
      "warning: order_events has primary key (event_id) in the database but (event_timestamp, event_id) in the spec; migrate does not rebuild primary keys, change it by hand if intended",
    ]);
    expect(
      await db.rows(
        "SELECT COLUMN_NAME c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'order_events' AND INDEX_NAME = 'PRIMARY'",
      ),
    ).toEqual([{ c: "event_id" }]);
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

  it("warns about a nullability or foreign key the database lacks (it does not change them)", async () => {
    await db.conn.query("ALTER TABLE orders MODIFY COLUMN customer_name VARCHAR(100) NOT NULL");
    await db.conn.query("ALTER TABLE order_items DROP FOREIGN KEY fk_order_items_orders");
    // A unique key column as databases of the last version have it (binary, but PAD SPACE).
    await db.conn.query(
      "ALTER TABLE orders MODIFY COLUMN order_number VARCHAR(50) COLLATE utf8mb4_bin NOT NULL",
    );
    const r = cli(["migrate"], { MYSQL_URL: db.url });
    expect(r.status).toBe(0);
    const warnings = r.stderr.trim().split("\n");
    expect(warnings).toContain(
      "warning: orders.customer_name is NOT NULL in the database but nullable in the spec; migrate does not change it (existing NULLs would make it fail), change it by hand if intended",
    );
    expect(warnings).toContain(
      "warning: order_items has no foreign key to orders in the database, so deleting a orders row does not delete its order_items; migrate does not add it (rows without a parent would make it fail): ALTER TABLE `order_items` ADD CONSTRAINT `fk_order_items_orders` FOREIGN KEY (`order_id`) REFERENCES `orders` (`order_id`) ON DELETE CASCADE",
    );
    // The key column is converted to the exact collation, and migrate says so.
    expect(warnings).toContain(
      `note: orders.order_number: key column converted from utf8mb4_bin to ${KEY}, so that ids and unique values that differ in letter case or trailing spaces are different rows, as projector compares them`,
    );
    expect(r.stdout).toContain(
      `ALTER TABLE \`orders\` MODIFY COLUMN \`order_number\` VARCHAR(50) COLLATE ${KEY} NOT NULL;`,
    );
    expect(warnings).toHaveLength(4); // and the order_events primary key left by the test before
    expect(cli(["migrate"], { MYSQL_URL: db.url }).stdout.trim()).toBe(
      `-- ${db.name} is up to date (19 tables)`,
    );
  });

  /** A copy of the shipped projections with `edit` applied to one file. */
  const specCopy = (file: string, edit: (yaml: string) => string): string => {
    const dir = mkdtempSync(join(tmpdir(), "pj-spec-"));
    cpSync(join(REPO, "projections"), dir, { recursive: true });
    writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), "utf8")));
    return dir;
  };

  it("widens a key column a foreign key uses: the foreign key is dropped around it and added back", async () => {
    const fresh = await createTestDb();
    try {
      expect(cli(["replay", EXAMPLES], { MYSQL_URL: fresh.url }).status).toBe(0);
      const wide = specCopy("order.yaml", (y) =>
        y.replaceAll("order_id: { type: varchar(24) }", "order_id: { type: varchar(30) }"),
      );
      const r = cli(["migrate", "--projections", wide], { MYSQL_URL: fresh.url });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim().split("\n")).toEqual([
        "ALTER TABLE `order_items` DROP FOREIGN KEY `fk_order_items_orders`;",
        "ALTER TABLE `order_events` MODIFY COLUMN `order_id` VARCHAR(30) NOT NULL;",
        `ALTER TABLE \`orders\` MODIFY COLUMN \`order_id\` VARCHAR(30) COLLATE ${KEY} NOT NULL;`,
        `ALTER TABLE \`order_items\` MODIFY COLUMN \`order_id\` VARCHAR(30) COLLATE ${KEY} NOT NULL;`,
        "ALTER TABLE `order_items` ADD CONSTRAINT `fk_order_items_orders` FOREIGN KEY (`order_id`) REFERENCES `orders` (`order_id`) ON DELETE CASCADE;",
        `-- 5 statement(s) executed on ${fresh.name}`,
      ]);
      // The foreign key is back and cascades.
      await fresh.conn.query("DELETE FROM orders");
      expect(await fresh.rows("SELECT COUNT(*) n FROM order_items")).toEqual([{ n: 0 }]);
      expect(cli(["migrate", "--projections", wide], { MYSQL_URL: fresh.url }).stdout.trim()).toBe(
        `-- ${fresh.name} is up to date (19 tables)`,
      );
    } finally {
      await fresh.drop();
    }
  });

  it("stops at a statement MySQL refuses, with a user error naming it (no stack trace)", async () => {
    const fresh = await createTestDb();
    try {
      expect(cli(["replay", EXAMPLES], { MYSQL_URL: fresh.url }).status).toBe(0);
      // user_events holds several events of one user: a unique key on user_id cannot be added.
      const unique = specCopy("user.yaml", (y) =>
        y.replace(
          "  user_events:\n    primary_key: [event_timestamp, event_id]\n    unique: [[event_id]]",
          "  user_events:\n    primary_key: [event_timestamp, event_id]\n    unique: [[event_id], [user_id]]",
        ),
      );
      const r = cli(["migrate", "--projections", unique], { MYSQL_URL: fresh.url });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        "projector: migrate stopped at ALTER TABLE `user_events` ADD UNIQUE KEY `uq_user_events_user_id` (`user_id`): ",
      );
      expect(r.stderr).toContain("Duplicate entry");
      expect(r.stderr).toContain(
        "the statements before it were applied, fix the cause and run migrate again",
      );
      expect(r.stderr).not.toContain("    at ");
    } finally {
      await fresh.drop();
    }
  });

  it("on a database whose keys still ignore letter case or trailing spaces: converts them, foreign keys kept, and new children follow", async () => {
    const older = await createTestDb();
    const fixture = (name: string) => join(REPO, "test/fixtures/migrate-older", name);
    try {
      expect(cli(["migrate", "--projections", fixture("with-kids")], { MYSQL_URL: older.url }).status).toBe(
        0,
      );
      // As databases made before key columns compared exactly have them: case-insensitive, and PAD SPACE.
      await older.conn.query("ALTER TABLE kids DROP FOREIGN KEY fk_kids_parents");
      await older.conn.query(
        "ALTER TABLE parents MODIFY COLUMN id VARCHAR(24) COLLATE utf8mb4_unicode_ci NOT NULL",
      );
      await older.conn.query(
        "ALTER TABLE kids MODIFY COLUMN pid VARCHAR(24) COLLATE utf8mb4_unicode_ci NOT NULL",
      );
      await older.conn.query(
        "ALTER TABLE kids ADD CONSTRAINT fk_kids_parents FOREIGN KEY (pid) REFERENCES parents (id) ON DELETE CASCADE",
      );
      await older.conn.query("INSERT INTO parents (id) VALUES ('a')");
      await older.conn.query("INSERT INTO kids (pid, n) VALUES ('a', 1)");
      await expect(older.conn.query("INSERT INTO parents (id) VALUES ('A')")).rejects.toThrow(/Duplicate/);

      // Converted (and widened) around the foreign key, which goes back on and still cascades.
      const wider = cli(["migrate", "--projections", fixture("wider")], { MYSQL_URL: older.url });
      expect(wider.status, wider.stderr).toBe(0);
      expect(wider.stdout.trim().split("\n")).toEqual([
        "ALTER TABLE `kids` DROP FOREIGN KEY `fk_kids_parents`;",
        `ALTER TABLE \`parents\` MODIFY COLUMN \`id\` VARCHAR(40) COLLATE ${KEY} NOT NULL;`,
        `ALTER TABLE \`kids\` MODIFY COLUMN \`pid\` VARCHAR(40) COLLATE ${KEY} NOT NULL;`,
        "ALTER TABLE `kids` ADD CONSTRAINT `fk_kids_parents` FOREIGN KEY (`pid`) REFERENCES `parents` (`id`) ON DELETE CASCADE;",
        `-- 4 statement(s) executed on ${older.name}`,
      ]);
      expect(wider.stderr).toContain("note: parents.id: key column converted from utf8mb4_unicode_ci");
      expect(wider.stderr).toContain("note: kids.pid: key column converted from utf8mb4_unicode_ci");
      await older.conn.query("INSERT INTO parents (id) VALUES ('A'), ('a ')"); // three rows now
      expect(await older.rows("SELECT COUNT(*) n FROM parents")).toEqual([{ n: 3 }]);
      await older.conn.query("DELETE FROM parents WHERE id = 'a'");
      expect(await older.rows("SELECT COUNT(*) n FROM kids")).toEqual([{ n: 0 }]);
      expect(
        cli(["migrate", "--projections", fixture("wider")], { MYSQL_URL: older.url }).stdout.trim(),
      ).toBe(`-- ${older.name} is up to date (2 tables)`);
    } finally {
      await older.drop();
    }
  });

  it("--dry-run on a database that does not exist prints CREATE DATABASE and creates nothing", async () => {
    const name = `${db.name}_absent`;
    const r = cli(["migrate", "--dry-run"], { MYSQL_URL: db.url.replace(db.name, name) });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`CREATE DATABASE IF NOT EXISTS \`${name}\``);
    expect(r.stdout).toContain(`USE \`${name}\`;\n`);
    expect(r.stdout).toContain(`-- dry run: 29 statement(s) not executed (${name} does not exist)`);
    expect(await db.rows("SHOW DATABASES LIKE ?", [name])).toEqual([]);
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

  it("refuses a --start that is not a timestamp, as a user error (no stack trace)", () => {
    const r = cli(["generate", "--count", "1", "--start", "garbage"]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      "projector: --start must be an ISO-8601 timestamp such as 2025-01-01T00:00:00Z, got garbage",
    );
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
      // --linger-ms 0: batches are full ones however slowly a loaded machine reads the file.
      const b = cli(["replay", file, "--batch-size", "1000", "--linger-ms", "0", "--json"], {
        MYSQL_URL: many.url,
      });
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

describe("planning the next batch while the current one is written (lookahead)", () => {
  const summaryOf = (r: CliResult) => {
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, number>;
  };
  const counters = (s: Record<string, number>) => ({
    read: s.read,
    applied: s.applied,
    stale: s.stale,
    unmatched: s.unmatched,
    dead_lettered: s.dead_lettered,
  });

  /**
   * Replays `stream` one event per batch with and without lookahead into two fresh databases; both
   * must give the same counters and tables. `check` inspects the lookahead run; the databases are
   * dropped afterwards.
   */
  const replayBothWays = async (
    stream: readonly Record<string, unknown>[],
    extraArgs: readonly string[],
    check: (summary: Record<string, number>, db: TestDb) => Promise<void>,
  ) => {
    const file = join(mkdtempSync(join(tmpdir(), "pj-ahead-")), "stream.jsonl");
    writeFileSync(file, `${stream.map((e) => JSON.stringify(e)).join("\n")}\n`);
    const ahead = await createTestDb();
    const serial = await createTestDb();
    try {
      const args = ["replay", file, ...extraArgs, "--batch-size", "1", "--json"];
      const a = summaryOf(cli(args, { MYSQL_URL: ahead.url }));
      const s = summaryOf(cli([...args, "--no-lookahead"], { MYSQL_URL: serial.url }));
      expect(a.batches).toBe(stream.length);
      expect(s.batches_planned_ahead).toBe(0);
      expect(counters(a)).toEqual(counters(s));
      expect(await ahead.dump()).toEqual(await serial.dump());
      await check(a, ahead);
    } finally {
      await ahead.drop();
      await serial.drop();
    }
  };

  it("gives the tables of planning every batch in its transaction, at any batch size", async () => {
    const gen = cli(["generate", "--count", "3000", "--seed", "33"]);
    const file = join(mkdtempSync(join(tmpdir(), "pj-ahead-")), "stream.jsonl");
    writeFileSync(file, gen.stdout);
    const dbs = await Promise.all([createTestDb(), createTestDb(), createTestDb()]);
    try {
      const [serialDb, oneDb, smallDb] = dbs as [TestDb, TestDb, TestDb];
      const serial = summaryOf(
        cli(["replay", file, "--batch-size", "1", "--no-lookahead", "--json"], { MYSQL_URL: serialDb.url }),
      );
      expect(serial.batches_planned_ahead).toBe(0);
      const reference = await serialDb.dump();
      for (const [db, size] of [
        [oneDb, 1],
        [smallDb, 13],
      ] as const) {
        const s = summaryOf(
          cli(["replay", file, "--batch-size", String(size), "--json"], { MYSQL_URL: db.url }),
        );
        // Most batches are planned ahead; the others needed rows of a table the batch before changed untracked.
        expect(s.batches_planned_ahead).toBeGreaterThan(s.batches! / 2);
        expect(counters(s)).toEqual(counters(serial));
        expect(await db.dump()).toEqual(reference);
      }
    } finally {
      for (const db of dbs) await db.drop();
    }
  }, 240_000);

  it("sees rows the batch before created, deleted, re-created or gave a unique key, before they are committed", async () => {
    const examples = readFileSync(EXAMPLES, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown> & { event_type: string; entity_id: string });
    const pick = (type: string) => structuredClone(examples.find((e) => e.event_type === type)!);
    let n = 0;
    const at = (e: Record<string, unknown> & { entity_id: string }, timestamp: string) => ({
      ...e,
      event_id: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
      timestamp,
    });
    const orderCreated = pick("order.created");
    const otherOrder = { ...pick("order.created"), entity_id: "65a1f0000000000000000399" };
    const stream = [
      at(pick("product.created"), "2025-01-12T12:00:00Z"),
      at(pick("product.deleted"), "2025-07-01T13:00:00Z"), // gone...
      at(pick("product.created"), "2025-08-01T12:00:00Z"), // ...and back, in the next batch
      at(pick("product.updated"), "2025-08-02T12:00:00Z"),
      at(pick("product.created"), "2025-01-12T12:00:00Z"), // older than the row: stale
      at(pick("product.deleted"), "2025-09-01T13:00:00Z"),
      at(pick("product.discontinued"), "2025-09-02T13:00:00Z"), // an upsert: the row comes back
      at(pick("post.hidden"), "2025-01-16T14:00:00Z"), // an update of a post never created: unmatched
      at(orderCreated, "2025-01-15T12:00:00Z"),
      at(pick("order.cancelled"), "2025-01-15T18:00:00Z"), // by order_number, of the uncommitted order
      at(otherOrder, "2025-01-15T19:00:00Z"), // takes the same order_number: rejected
      at(pick("order.completed"), "2025-01-15T12:05:00Z"), // older than the cancellation: stale
    ];
    await replayBothWays(stream, [], async (a, db) => {
      expect(a.batches_planned_ahead).toBe(stream.length - 1);
      expect(a).toMatchObject({ read: 12, stale: 2, dead_lettered: 1, unmatched: 1 });
      expect(await db.rows("SELECT product_id, status FROM products")).toEqual([
        { product_id: stream[0]!.entity_id, status: "discontinued" },
      ]);
      expect(await db.rows("SELECT order_id, status FROM orders")).toEqual([
        { order_id: orderCreated.entity_id, status: "cancelled" },
      ]);
      expect(await db.rows("SELECT kind, position, reason FROM projector_dead_letters ORDER BY seq")).toEqual(
        [
          // The update of a post never created is kept, to be applied once the post exists.
          {
            kind: "unmatched",
            position: expect.stringMatching(/^line 8 #/),
            reason: expect.stringMatching(/^unmatched: update posts: no row post_id = /),
          },
          {
            kind: "failed",
            position: expect.stringMatching(/^line 11 #/),
            reason: expect.stringMatching(/unique key \(order_number\)/),
          },
        ],
      );
    });
  }, 120_000);

  it("knows a row the batch before deleted is gone, though MySQL still has it committed", async () => {
    // The reviews domain (a test fixture) has a hard delete and an update; the catalog's has not both.
    const dir = "test/fixtures/reviews";
    const events = readFileSync(`${dir}/events.jsonl`, "utf8")
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as Record<string, unknown> & { event_type: string; data: Record<string, unknown> },
      );
    const pick = (type: string) => structuredClone(events.find((e) => e.event_type === type)!);
    const id = "66b2a0000000000000000009";
    let n = 0;
    const at = (
      e: Record<string, unknown> & { data: Record<string, unknown> },
      timestamp: string,
      data = {},
    ) => ({
      ...e,
      entity_id: id,
      event_id: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
      timestamp,
      data: { ...e.data, ...data },
    });
    const stream = [
      at(pick("review.created"), "2025-03-01T10:00:00Z"),
      at(pick("review.removed_by_moderator"), "2025-03-02T10:00:00Z"),
      at(pick("review.helpful_voted"), "2025-03-03T10:00:00Z", { helpful_count: 5 }), // no row: unmatched
      at(pick("review.created"), "2025-03-04T10:00:00Z"),
      at(pick("review.helpful_voted"), "2025-03-05T10:00:00Z", { helpful_count: 7 }),
    ];
    await replayBothWays(stream, ["--projections", dir], async (a, db) => {
      // The re-create heals the vote that waited (the batch before kept it): planned in its
      // transaction, where it reads the letter.
      expect(a.batches_planned_ahead).toBe(stream.length - 2);
      expect(a).toMatchObject({ read: 5, applied: 5, unmatched: 1, stale: 0, dead_lettered: 0, healed: 1 });
      expect(await db.rows("SELECT review_id, helpful_count FROM reviews")).toEqual([
        { review_id: id, helpful_count: 7 },
      ]);
    });
  }, 120_000);

  it("plans a batch in its transaction when it needs rows the batch before replaced untracked", async () => {
    // reviews plus an update of one photo (a child row) by its key.
    const dir = mkdtempSync(join(tmpdir(), "pj-ahead-spec-"));
    const spec = readFileSync("test/fixtures/reviews/reviews.yaml", "utf8")
      .replace("$schema=../../../schema/", `$schema=${process.cwd()}/schema/`)
      .replace(
        "\nexamples:",
        [
          "  review.photo_captioned:",
          "    - update: review_photos",
          "      where: { review_id: $.entity_id, position: $.data.position }",
          "      set: { caption: $.data.caption }",
          "",
          "examples:",
        ].join("\n"),
      );
    writeFileSync(join(dir, "reviews.yaml"), spec);
    const created = JSON.parse(readFileSync("test/fixtures/reviews/events.jsonl", "utf8").split("\n")[0]!);
    const photos = created.data.photos as unknown[];
    expect(photos.length).toBe(2);
    const id = created.entity_id as string;
    const ev = (n: number, type: string, timestamp: string, data: Record<string, unknown>) => ({
      ...created,
      event_type: type,
      event_id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
      timestamp,
      data,
    });
    const stream = [
      ev(1, "review.created", "2025-03-01T10:00:00Z", created.data),
      ev(2, "review.created", "2025-03-02T10:00:00Z", { ...created.data, photos: photos.slice(0, 1) }),
      ev(3, "review.photo_captioned", "2025-03-03T10:00:00Z", { position: 2, caption: "gone" }),
      ev(4, "review.photo_captioned", "2025-03-04T10:00:00Z", { position: 1, caption: "kept" }),
    ];
    await replayBothWays(stream, ["--projections", dir], async (a, db) => {
      // Batch 3 needs a photo and batch 2 replaced the photos: planned in its own transaction.
      expect(a.batches_planned_ahead).toBe(2);
      expect(a).toMatchObject({ read: 4, applied: 4, unmatched: 1, dead_lettered: 0 });
      expect(await db.rows("SELECT review_id, position, caption FROM review_photos")).toEqual([
        { review_id: id, position: 1, caption: "kept" },
      ]);
    });
  }, 120_000);
});
