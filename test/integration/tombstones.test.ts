import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, EXAMPLES } from "../helpers/cli.js";
import { testScope } from "../helpers/kafka/scope.js";
import { editedSpecs } from "../helpers/letters.js";

const scope = testScope();
const dir = mkdtempSync(join(tmpdir(), "projector-tomb-"));
const examples = readFileSync(EXAMPLES, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Record<string, unknown>);

let serial = 0;
/** The example of `type` for product `id` at `timestamp`. */
function ev(type: string, id: string, timestamp: string): Record<string, unknown> {
  const e = structuredClone(examples.find((x) => x.event_type === type)!);
  serial++;
  e.event_id = `00000000-0000-4000-9100-${String(serial).padStart(12, "0")}`;
  e.entity_id = id;
  e.timestamp = timestamp;
  return e;
}

function file(name: string, events: Record<string, unknown>[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${events.map((e) => JSON.stringify(e)).join("\n")}\n`);
  return path;
}

const A = "65a1f00000000000000009a1";
const B = "65a1f00000000000000009b2";

/** A created, deleted, then an older update arrives; B created, deleted, re-created later. */
const stream = () => [
  ev("product.created", A, "2025-03-01T10:00:00Z"),
  ev("product.created", B, "2025-03-01T10:00:00Z"),
  ev("product.deleted", A, "2025-03-03T10:00:00Z"),
  ev("product.deleted", B, "2025-03-03T10:00:00Z"),
  ev("product.updated", A, "2025-03-02T10:00:00Z"), // older than A's delete: stale
  ev("product.created", B, "2025-03-04T10:00:00Z"), // newer than B's delete: B is back
  ev("product.updated", B, "2025-03-03T12:00:00Z"), // older than B's re-creation: stale
];

describe("hard deletes leave tombstones: an older event does not bring the row back", () => {
  it.each([1, 3, 1000])("at batch size %i", async (batch) => {
    const db = await scope.db();
    const f = file(`stream-${batch}.jsonl`, stream());
    const r = cli(["replay", f, "--batch-size", String(batch), "--json"], { MYSQL_URL: db.url });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 7, applied: 5, stale: 2 });
    expect(await db.rows("SELECT product_id, event_timestamp FROM products")).toEqual([
      { product_id: B, event_timestamp: "2025-03-04 10:00:00.000000" },
    ]);
    expect(await db.rows("SELECT COUNT(*) n FROM product_variants WHERE product_id = ?", [A])).toEqual([
      { n: 0 },
    ]);
    expect(
      await db.rows("SELECT table_name, row_key, guard FROM projector_tombstones ORDER BY row_key"),
    ).toEqual([
      { table_name: "products", row_key: JSON.stringify([A]), guard: "2025-03-03 10:00:00.000000" },
      { table_name: "products", row_key: JSON.stringify([B]), guard: "2025-03-03 10:00:00.000000" },
    ]);
  });

  it("holds across runs: an old file replayed after the delete leaves the row deleted; a newer event re-creates it", async () => {
    const db = await scope.db();
    const run = (events: Record<string, unknown>[], name: string) => {
      const r = cli(["replay", file(name, events), "--json"], { MYSQL_URL: db.url });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, number>;
    };
    run(
      [ev("product.created", A, "2025-03-01T10:00:00Z"), ev("product.deleted", A, "2025-03-03T10:00:00Z")],
      "live.jsonl",
    );
    const old = run(
      [ev("product.created", A, "2025-03-01T10:00:00Z"), ev("product.updated", A, "2025-03-02T10:00:00Z")],
      "backfill.jsonl",
    );
    expect(old).toMatchObject({ applied: 0, stale: 2 });
    expect(await db.rows("SELECT COUNT(*) n FROM products")).toEqual([{ n: 0 }]);
    expect(run([ev("product.restored", A, "2025-03-05T10:00:00Z")], "later.jsonl")).toMatchObject({
      applied: 1,
    });
    expect(await db.rows("SELECT product_id FROM products")).toEqual([{ product_id: A }]);
    // status counts them though the broker does not answer (and says so: exit 2).
    const st = cli(["status", "--json"], { MYSQL_URL: db.url, KAFKA_BROKERS: "127.0.0.1:1" });
    expect(st.status, st.stderr).toBe(2);
    expect(JSON.parse(st.stdout)).toMatchObject({ tombstones: 1, dead_letters: 0, rows: { products: 1 } });
  });

  it.each([1, 1000])(
    "a delete that came first keeps an older create out; a second, newer delete moves the tombstone (batch size %i)",
    async (batch) => {
      const db = await scope.db();
      const f = file(`first-${batch}.jsonl`, [
        ev("product.deleted", A, "2025-03-03T10:00:00Z"),
        ev("product.created", A, "2025-03-01T10:00:00Z"),
        ev("product.created", B, "2025-03-01T10:00:00Z"),
        ev("product.deleted", B, "2025-03-03T10:00:00Z"),
        ev("product.deleted", B, "2025-03-07T10:00:00Z"),
        ev("product.updated", B, "2025-03-05T10:00:00Z"),
      ]);
      const r = cli(["replay", f, "--batch-size", String(batch), "--json"], { MYSQL_URL: db.url });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ read: 6, stale: 2, unmatched: 2 });
      expect(await db.rows("SELECT COUNT(*) n FROM products")).toEqual([{ n: 0 }]);
      expect(await db.rows("SELECT row_key, guard FROM projector_tombstones ORDER BY row_key")).toEqual([
        { row_key: JSON.stringify([A]), guard: "2025-03-03 10:00:00.000000" },
        { row_key: JSON.stringify([B]), guard: "2025-03-07 10:00:00.000000" },
      ]);
    },
  );

  it("tombstones left by earlier specs still guard a table the specs no longer hard-delete", async () => {
    const db = await scope.db();
    const replay = (events: Record<string, unknown>[], name: string, extra: string[] = []) => {
      const r = cli(["replay", file(name, events), "--json", ...extra], { MYSQL_URL: db.url });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, number>;
    };
    replay(
      [ev("product.created", A, "2025-03-01T10:00:00Z"), ev("product.deleted", A, "2025-03-03T10:00:00Z")],
      "before.jsonl",
    );
    // The same specs without product.deleted: products are upserted only, so a batch asks whether
    // the table has tombstones at all before it looks its missing rows up.
    const specs = editedSpecs([
      [
        "product.yaml",
        "  product.deleted: [{ delete: products, where: { product_id: $.entity_id } }, *log]\n",
        "",
      ],
    ]);
    const after = replay(
      [
        ev("product.created", A, "2025-03-02T10:00:00Z"), // older than A's tombstone: stale
        ev("product.created", B, "2025-03-02T10:00:00Z"), // never deleted: applied
      ],
      "after.jsonl",
      ["--projections", specs, "--allow-spec-drift"],
    );
    expect(after).toMatchObject({ read: 2, applied: 1, stale: 1 });
    expect(await db.rows("SELECT product_id FROM products")).toEqual([{ product_id: B }]);
  });
});
