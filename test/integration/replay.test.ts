import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, EXAMPLES } from "../helpers/cli.js";
import { createTestDb, type TestDb } from "../helpers/db.js";

const lines = readFileSync(EXAMPLES, "utf8").trim().split("\n");

/**
 * Replays `input` into two fresh databases (after `before`, replayed alone), at one event per
 * transaction and at 1000: `check` runs on each with the summary, and both end with equal tables.
 */
async function atOneAndThousand(
  input: string,
  before: string | undefined,
  check: (db: TestDb, summary: unknown) => Promise<void>,
): Promise<void> {
  const dumps: Record<string, string>[] = [];
  for (const batch of ["1", "1000"]) {
    const db = await createTestDb();
    try {
      if (before !== undefined) expect(cli(["replay", "-"], { MYSQL_URL: db.url }, before).status).toBe(0);
      const r = cli(["replay", "-", "--json", "--batch-size", batch], { MYSQL_URL: db.url }, input);
      expect(r.status, r.stderr).toBe(0);
      await check(db, JSON.parse(r.stdout));
      dumps.push(await db.dump());
    } finally {
      await db.drop();
    }
  }
  expect(dumps[1]).toEqual(dumps[0]);
}

describe("replay of examples.jsonl into MariaDB", () => {
  let db: TestDb;
  let summary: Record<string, unknown>;

  beforeAll(async () => {
    db = await createTestDb();
    const r = cli(["replay", EXAMPLES, "--json"], { MYSQL_URL: db.url });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    summary = JSON.parse(r.stdout);
  });
  afterAll(() => db.drop());

  it("applies all 44 events with no dead letters; keeps the two updates whose row never came", async () => {
    expect(summary).toMatchObject({
      read: 44,
      applied: 44,
      stale: 0,
      skipped: 0,
      dead_lettered: 0,
      unmatched: 2,
      unmatched_kept: 2,
    });
    expect(await db.rows("SELECT * FROM projector_dead_letters WHERE kind <> 'unmatched'")).toEqual([]);
    // examples.jsonl has no promotion.created for these two: their status updates wait for one.
    expect(
      await db.rows("SELECT event_type, reason, attempts FROM projector_dead_letters ORDER BY seq"),
    ).toEqual([
      {
        event_type: "promotion.rejected",
        reason:
          'unmatched: update promotions: no row promotion_id = "65a1f0000000000000000502" (kept: applied when the row arrives; projector dead-letters retry applies it too)',
        attempts: 1,
      },
      {
        event_type: "promotion.cancelled",
        reason:
          'unmatched: update promotions: no row promotion_id = "65a1f0000000000000000503" (kept: applied when the row arrives; projector dead-letters retry applies it too)',
        attempts: 1,
      },
    ]);
  });

  it("writes the order with its 2 items, cancelled by order_number", async () => {
    expect(
      await db.rows(
        "SELECT order_id, order_number, customer_id, customer_name, total_cents, shipping_country, status, cancel_reason, item_count, created_at FROM orders",
      ),
    ).toEqual([
      {
        order_id: "65a1f0000000000000000301",
        order_number: "ORD-20250115-0001",
        customer_id: "65a1f0000000000000000001",
        customer_name: "Jane Smith",
        total_cents: 7319,
        shipping_country: "US",
        status: "cancelled",
        cancel_reason: "customer_requested",
        item_count: 3,
        created_at: "2025-01-15 12:00:00.000000",
      },
    ]);
    expect(
      await db.rows(
        "SELECT line_no, product_id, product_name, variant_key, variant_name, sku, quantity, unit_price_cents, total_cents FROM order_items ORDER BY line_no",
      ),
    ).toEqual([
      {
        line_no: 1,
        product_id: "65a1f0000000000000000201",
        product_name: "Classic Tee",
        variant_key: "red-m",
        variant_name: "Red / M",
        sku: "TEE-RED-M",
        quantity: 2,
        unit_price_cents: 2500,
        total_cents: 5000,
      },
      {
        line_no: 2,
        product_id: "65a1f0000000000000000202",
        product_name: "Canvas Tote",
        variant_key: null,
        variant_name: null,
        sku: null,
        quantity: 1,
        unit_price_cents: 1800,
        total_cents: 1800,
      },
    ]);
    const events = await db.rows<{ event_type: string }>(
      "SELECT event_type FROM order_events ORDER BY event_timestamp",
    );
    expect(events.map((e) => e.event_type)).toEqual(["order.created", "order.completed", "order.cancelled"]);
  });

  it("deletes the product with its variants (cascade) after the update had replaced them", async () => {
    expect(await db.rows("SELECT * FROM products")).toEqual([]);
    expect(await db.rows("SELECT * FROM product_variants")).toEqual([]);
    const events = await db.rows<{ event_type: string }>(
      "SELECT event_type FROM product_events ORDER BY event_timestamp",
    );
    expect(events.map((e) => e.event_type)).toEqual([
      "product.created",
      "product.updated",
      "product.published",
      "product.out_of_stock",
      "product.restored",
      "product.discontinued",
      "product.deleted",
    ]);
  });

  it("soft-deletes the post and the user with the event's timestamp, never NOW()", async () => {
    expect(
      await db.rows(
        "SELECT post_id, status, global_status, deleted_at, engagement_rate, likes_count FROM posts",
      ),
    ).toEqual([
      {
        post_id: "65a1f0000000000000000401",
        status: "hidden",
        global_status: "approved",
        deleted_at: "2025-01-17 15:00:00.000000",
        engagement_rate: 0.1,
        likes_count: 9,
      },
    ]);
    expect(
      await db.rows(
        "SELECT user_id, email, display_name, status, email_verified, role, business_name, country, created_at, deleted_at FROM users ORDER BY user_id",
      ),
    ).toEqual([
      {
        user_id: "65a1f0000000000000000001",
        email: "jane@example.com",
        display_name: "Jane Q. Smith",
        status: "locked",
        email_verified: 0,
        role: "consumer",
        business_name: null,
        country: null,
        created_at: "2025-01-15 10:30:00.000000",
        deleted_at: null,
      },
      {
        user_id: "65a1f0000000000000000002",
        email: "leo@example.com",
        display_name: "Leo Park",
        status: "active",
        email_verified: 1,
        role: "leader",
        business_name: "Leo's Picks",
        country: "US",
        created_at: "2025-01-15 10:00:00.000000",
        deleted_at: "2025-07-03 13:00:00.000000",
      },
    ]);
  });

  it("takes member_count from the payload and logs memberships", async () => {
    expect(await db.rows("SELECT member_count, status, verified FROM communities")).toEqual([
      { member_count: 1, status: "suspended", verified: 1 },
    ]);
    expect(
      await db.rows(
        "SELECT user_id, action, member_count FROM community_memberships ORDER BY event_timestamp",
      ),
    ).toEqual([
      { user_id: "65a1f0000000000000000002", action: "joined", member_count: 2 },
      { user_id: "65a1f0000000000000000002", action: "left", member_count: 1 },
    ]);
  });

  it("keeps supplier 101 (wide, flattened) and hard-deletes supplier 102", async () => {
    expect(
      await db.rows(
        "SELECT supplier_id, legal_name, street_address_1, city, state, zip_code, country, status FROM suppliers",
      ),
    ).toEqual([
      {
        supplier_id: "65a1f0000000000000000101",
        legal_name: "Acme Apparel LLC",
        street_address_1: "1 Main St",
        city: "Austin",
        state: "TX",
        zip_code: "78701",
        country: "US",
        status: "active",
      },
    ]);
  });

  it("never projects password_hash", async () => {
    const dump = JSON.stringify(await db.dump());
    expect(dump).not.toContain("$2b$12$");
  });

  it("changes nothing when the same file is replayed again", async () => {
    const before = await db.dump();
    const r = cli(["replay", EXAMPLES, "--json"], { MYSQL_URL: db.url });
    expect(r.status).toBe(0);
    expect(await db.dump()).toEqual(before);
  });

  it("gives identical tables in two fresh databases", async () => {
    const other = await createTestDb();
    try {
      expect(cli(["replay", EXAMPLES], { MYSQL_URL: other.url }).status).toBe(0);
      expect(await other.dump()).toEqual(await db.dump());
    } finally {
      await other.drop();
    }
  });
});

describe("stale and redelivered events", () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db.drop());

  const byType = (t: string) => JSON.parse(lines.find((l) => l.includes(`"event_type": "${t}"`))!);

  it("an older event delivered after a newer one changes nothing and is counted", async () => {
    const created = byType("user.created");
    const updated = byType("user.updated");
    expect(cli(["replay", "-"], { MYSQL_URL: db.url }, `${JSON.stringify(updated)}\n`).status).toBe(0);
    const before = await db.dump(["users"]);
    const r = cli(["replay", "-", "--json"], { MYSQL_URL: db.url }, `${JSON.stringify(created)}\n`);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 1, applied: 0, stale: 1 });
    expect(await db.dump(["users"])).toEqual(before);
    expect(await db.rows("SELECT display_name, event_id FROM users")).toEqual([
      { display_name: "Jane Q. Smith", event_id: updated.event_id },
    ]);
  });

  it("an older event in the same batch as a newer one is stale too", async () => {
    const created = byType("product.created");
    const updated = byType("product.updated");
    const r = cli(
      ["replay", "-", "--json"],
      { MYSQL_URL: db.url },
      `${JSON.stringify(updated)}\n${JSON.stringify(created)}\n`,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 2, applied: 1, stale: 1 });
    expect(await db.rows("SELECT variant_key FROM product_variants")).toEqual([{ variant_key: "red-m" }]);
    expect(await db.rows("SELECT base_price_cents FROM products")).toEqual([{ base_price_cents: 2400 }]);
  });

  it("a redelivered event changes nothing", async () => {
    const input = ["order.created", "order.completed"].map((t) => JSON.stringify(byType(t))).join("\n");
    expect(cli(["replay", "-"], { MYSQL_URL: db.url }, input).status).toBe(0);
    const before = await db.dump();
    const again = cli(
      ["replay", "-", "--json"],
      { MYSQL_URL: db.url },
      `${JSON.stringify(byType("order.completed"))}\n`,
    );
    expect(again.status).toBe(0);
    expect(await db.dump()).toEqual(before);
    expect(await db.rows("SELECT COUNT(*) n FROM order_events")).toEqual([{ n: 2 }]);
  });
});

describe("several upserts of one row in one batch", () => {
  let n = 0;
  const user = (type: string, id: string, ts: string, name: string, createdAt = ts) => {
    const e = JSON.parse(lines.find((l) => l.includes(`"event_type": "${type}"`))!);
    e.event_id = `00000000-0000-4000-8000-00000000d${String(++n).padStart(3, "0")}`;
    e.entity_id = id;
    e.timestamp = ts;
    if (e.data.profile) e.data.profile.display_name = name;
    e.data.created_at = createdAt;
    return JSON.stringify(e);
  };
  const U1 = "abcdef0000000000000000d1";
  const U2 = "abcdef0000000000000000d2";
  const U3 = "abcdef0000000000000000d3";
  // One batch writes each row's upserts as one row of one statement (the later values, the first
  // created_at, which is keep_existing); a soft delete between two upserts keeps them apart.
  const first = [user("user.created", U3, "2025-03-01T00:00:00Z", "old")];
  const input = [
    user("user.created", U1, "2025-03-02T01:00:00Z", "a"),
    user("user.updated", U1, "2025-03-02T03:00:00Z", "b", "2025-03-02T02:59:00Z"),
    user("user.updated", U1, "2025-03-02T02:00:00Z", "stale"),
    user("user.updated", U1, "2025-03-02T03:00:00Z", "c (same time: the later wins)", "2025-03-02T03:00:00Z"),
    user("user.created", U2, "2025-03-02T01:00:00Z", "d"),
    user("user.deleted", U2, "2025-03-02T02:00:00Z", "-"),
    user("user.updated", U2, "2025-03-02T03:00:00Z", "e"),
    user("user.updated", U3, "2025-03-02T01:00:00Z", "f", "2025-03-02T01:00:00Z"),
    user("user.updated", U3, "2025-03-02T02:00:00Z", "g", "2025-03-02T02:00:00Z"),
  ].join("\n");

  it("leaves the same tables at one event per transaction and at 1000", async () => {
    await atOneAndThousand(input, first.join("\n"), async (db, summary) => {
      expect(summary).toMatchObject({ read: 9, applied: 8, stale: 1, dead_lettered: 0 });
      expect(
        await db.rows(
          "SELECT user_id, display_name, DATE_FORMAT(created_at, '%d %H:%i') c, deleted_at IS NULL live FROM users ORDER BY user_id",
        ),
      ).toEqual([
        { user_id: U1, display_name: "c (same time: the later wins)", c: "02 01:00", live: 1 },
        // the later upsert carries the document's deleted_at (null): the user is back
        { user_id: U2, display_name: "e", c: "02 01:00", live: 1 },
        { user_id: U3, display_name: "g", c: "01 00:00", live: 1 },
      ]);
    });
  });
});

describe("keys that differ only in letter case", () => {
  const order = (n: number, id: string, orderNumber: string, status: string) => {
    const e = JSON.parse(lines.find((l) => l.includes('"event_type": "order.created"'))!);
    e.event_id = `00000000-0000-4000-8000-00000000c${String(n).padStart(3, "0")}`;
    e.entity_id = id;
    e.timestamp = `2025-02-0${n}T00:00:00Z`;
    e.data.order_number = orderNumber;
    e.data.status = status;
    return JSON.stringify(e);
  };
  // Ids and unique order numbers are compared exactly, as MongoDB and the planner compare them: under
  // the tables' case-insensitive collation the second order of each pair landed on the first's row.
  const input = [
    order(1, "abcdef000000000000000001", "ORD-C1", "pending"),
    order(2, "ABCDEF000000000000000001", "ORD-C2", "paid"),
    order(3, "abcdef000000000000000003", "ORD-X", "pending"),
    order(4, "abcdef000000000000000004", "ord-x", "paid"),
  ].join("\n");

  it("are different rows, with the same tables at one event per transaction and at 1000", async () => {
    await atOneAndThousand(input, undefined, async (db, summary) => {
      expect(summary).toMatchObject({ read: 4, applied: 4, dead_lettered: 0 });
      expect(
        await db.rows("SELECT order_id, order_number, status FROM orders ORDER BY order_number"),
      ).toEqual([
        { order_id: "abcdef000000000000000001", order_number: "ORD-C1", status: "pending" },
        { order_id: "ABCDEF000000000000000001", order_number: "ORD-C2", status: "paid" },
        { order_id: "abcdef000000000000000003", order_number: "ORD-X", status: "pending" },
        { order_id: "abcdef000000000000000004", order_number: "ord-x", status: "paid" },
      ]);
      expect(await db.rows("SELECT COUNT(*) n FROM order_items")).toEqual([{ n: 8 }]);
    });
  });
});

describe("replay fails clearly when it cannot run", () => {
  it("exits non-zero without a database, and prints no credentials", () => {
    const r = cli(["replay", EXAMPLES, "--max-retries", "0"], {
      MYSQL_URL: "mysql://bob:s3cr3t-pw@127.0.0.1:1/x",
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("cannot connect to MySQL");
    expect(r.stderr + r.stdout).not.toContain("s3cr3t-pw");
  });

  it("exits 1 on a broken spec", () => {
    const r = cli(["replay", EXAMPLES, "--projections", "test/fixtures/does-not-exist"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("cannot be read");
  });
});
