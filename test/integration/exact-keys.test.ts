import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, EXAMPLES } from "../helpers/cli.js";
import { testScope } from "../helpers/kafka/scope.js";

/**
 * Keys that differ only by trailing or leading spaces (or letter case) are different rows, as they
 * are different documents to MongoDB and different keys to the planner: key columns compare with a
 * binary NO PAD collation. Under PAD SPACE (`utf8mb4_bin`) `TRAIL` and `TRAIL ` were one row, a
 * delete of `GONE ` deleted `GONE`, and variants `red` and `red ` dead-lettered their product.
 */
const scope = testScope();
const dir = mkdtempSync(join(tmpdir(), "projector-keys-"));
const examples = readFileSync(EXAMPLES, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Record<string, unknown>);

let serial = 0;
function ev(
  type: string,
  id: string,
  timestamp: string,
  data: Record<string, unknown> = {},
): Record<string, unknown> {
  const e = structuredClone(examples.find((x) => x.event_type === type)!);
  serial++;
  e.event_id = `00000000-0000-4000-9200-${String(serial).padStart(12, "0")}`;
  e.entity_id = id;
  e.timestamp = timestamp;
  e.data = { ...(e.data as object), ...data };
  return e;
}

/** A product whose variants map has these keys. */
function product(type: string, id: string, timestamp: string, keys: string[]): Record<string, unknown> {
  const e = ev(type, id, timestamp);
  const variants = (e.data as { variants: Record<string, Record<string, unknown>> }).variants;
  const template = Object.values(variants)[0]!;
  (e.data as { variants: unknown }).variants = Object.fromEntries(
    keys.map((k, i) => [k, { ...template, variant_id: `v${i}`, sku: `SKU-${i}` }]),
  );
  return e;
}

const stream = () => [
  ev("user.created", "TRAIL", "2025-03-01T10:00:00Z", { profile: { display_name: "no space" } }),
  ev("user.created", "TRAIL ", "2025-03-01T10:00:01Z", { profile: { display_name: "trailing space" } }),
  ev("user.created", " LEAD", "2025-03-01T10:00:02Z", { profile: { display_name: "leading space" } }),
  ev("user.created", "LEAD", "2025-03-01T10:00:03Z", { profile: { display_name: "no space" } }),
  // A newer KEEP must not make a create of `KEEP ` look stale.
  ev("user.created", "KEEP", "2025-03-05T10:00:00Z"),
  ev("user.created", "KEEP ", "2025-03-01T10:00:00Z"),
  // Deleting `GONE ` leaves `GONE` alone.
  product("product.created", "GONE", "2025-03-01T10:00:00Z", ["red-m"]),
  product("product.created", "GONE ", "2025-03-01T10:00:00Z", ["red-m"]),
  ev("product.deleted", "GONE ", "2025-03-02T10:00:00Z"),
  // Variant keys `red` and `red ` (an object map's keys: @key) are two child rows.
  product("product.created", "VARS", "2025-03-01T10:00:00Z", ["red", "red ", "Red"]),
  // Business keys: cancelling order number `N-1 ` cancels that order, not `N-1`.
  ev("order.created", "ORDER-A", "2025-03-01T10:00:00Z", { order_number: "N-1" }),
  ev("order.created", "ORDER-B", "2025-03-01T10:00:01Z", { order_number: "N-1 " }),
  ev("order.cancelled", "ORDER-B", "2025-03-02T10:00:00Z", { order_number: "N-1 ", reason: "typo" }),
];

function file(name: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `${stream()
      .map((e) => JSON.stringify(e))
      .join("\n")}\n`,
  );
  return path;
}

describe("keys that differ only by spaces or letter case are different rows", () => {
  it.each([1, 1000])("ids, business keys, parent keys and @key child keys (batch size %i)", async (batch) => {
    const db = await scope.db();
    const r = cli(["replay", file(`keys-${batch}.jsonl`), "--batch-size", String(batch), "--json"], {
      MYSQL_URL: db.url,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 13, applied: 13, stale: 0, dead_lettered: 0 });
    const users = await db.rows<{ user_id: string; display_name: string | null }>(
      "SELECT user_id, display_name FROM users ORDER BY user_id",
    );
    expect(users.map((u) => `[${u.user_id}]`)).toEqual([
      "[ LEAD]",
      "[KEEP]",
      "[KEEP ]",
      "[LEAD]",
      "[TRAIL]",
      "[TRAIL ]",
    ]);
    expect(users.find((u) => u.user_id === "TRAIL ")?.display_name).toBe("trailing space");
    expect(users.find((u) => u.user_id === "TRAIL")?.display_name).toBe("no space");
    expect(await db.rows("SELECT CONCAT('[', product_id, ']') p FROM products ORDER BY product_id")).toEqual([
      { p: "[GONE]" },
      { p: "[VARS]" },
    ]);
    expect(
      await db.rows(
        "SELECT CONCAT('[', variant_key, ']') k FROM product_variants WHERE product_id = 'VARS' ORDER BY variant_key",
      ),
    ).toEqual([{ k: "[Red]" }, { k: "[red]" }, { k: "[red ]" }]);
    expect(
      await db.rows("SELECT CONCAT('[', order_number, ']') n, status FROM orders ORDER BY order_number"),
    ).toEqual([
      { n: "[N-1]", status: "pending" },
      { n: "[N-1 ]", status: "cancelled" },
    ]);
  });

  it("through Kafka as through a replay", async () => {
    const { db, env } = await scope.kafka(3);
    const f = file("keys-kafka.jsonl");
    expect(cli(["emit", f], env).status).toBe(0);
    const run = cli(["run", "--until-caught-up", "--json"], env);
    expect(run.status, run.stderr).toBe(0);
    const reference = await scope.db();
    expect(cli(["replay", f], { MYSQL_URL: reference.url }).status).toBe(0);
    expect(await db.dump()).toEqual(await reference.dump());
    expect(await db.rows("SELECT COUNT(*) n FROM users")).toEqual([{ n: 6 }]);
  });
});
