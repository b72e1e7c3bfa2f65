import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { testScope } from "../helpers/kafka/scope.js";

/**
 * Domains added as YAML only (test/fixtures/domains: payments, shipments, carts; the cookbook's in
 * docs/cookbook: fulfilment, warehouses, invoices), each
 * replayed into MariaDB: conditions, transforms, reuse and a generated column, no src/ change.
 */
const scope = testScope();
/** The domains of the docs' cookbook (docs/cookbook/), tested here beside the fixtures. */
const COOKBOOK = new Set(["fulfilment", "warehouses", "invoices"]);
const dir = mkdtempSync(join(tmpdir(), "projector-domains-"));
let serial = 0;
const ev = (event_type: string, entity_id: string, timestamp: string, data: Record<string, unknown>) => ({
  event_type,
  event_id: `00000000-0000-4000-9400-${String(++serial).padStart(12, "0")}`,
  timestamp,
  entity_id,
  data,
});

async function replay(domain: string, events: object[]) {
  const db = await scope.db();
  const file = join(dir, `${domain}.jsonl`);
  writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join("\n")}\n`);
  const projections = COOKBOOK.has(domain) ? `docs/cookbook/${domain}` : `test/fixtures/domains/${domain}`;
  const r = cli(["replay", file, "--json", "--projections", projections], { MYSQL_URL: db.url });
  expect(r.status, r.stderr).toBe(0);
  return { db, summary: JSON.parse(r.stdout) as Record<string, unknown>, projections };
}

describe("payments", () => {
  it("projects web payments in units, normalizes status and currency, refunds only an amount", async () => {
    const payer = { first_name: "Grace", last_name: "Hopper" };
    const { db, summary, projections } = await replay("payments", [
      ev("payment.created", "pay-1", "2025-05-01T09:00:00Z", {
        order_id: "ord-1",
        amount_cents: 1999,
        currency: "usd",
        status: "succeeded",
        channel: "web",
        payer,
        created_at: "2025-05-01T09:00:00Z",
      }),
      ev("payment.created", "pay-2", "2025-05-01T09:01:00Z", { amount_cents: 500, channel: "pos" }),
      ev("payment.updated", "pay-1", "2025-05-01T10:00:00Z", {
        amount_cents: 2099,
        status: "SUCCEEDED",
        channel: "web",
        created_at: "2025-05-03T00:00:00Z", // keep_existing: the first one stays
      }),
      ev("payment.refunded", "pay-1", "2025-05-02T09:00:00Z", { amount_cents: 0 }),
      ev("payment.refunded", "pay-1", "2025-05-02T10:00:00Z", { amount_cents: 550 }),
      ev("payment.updated", "pay-1", "2025-05-01T08:00:00Z", { amount_cents: 1, channel: "web" }), // stale
      // pay-2 was filtered out: its refund is skipped (if_missing: skip), not kept as a letter.
      ev("payment.refunded", "pay-2", "2025-05-02T11:00:00Z", { amount_cents: 500 }),
    ]);
    expect(summary).toMatchObject({
      read: 7,
      applied: 5,
      stale: 1,
      filtered: 1,
      filtered_actions: 1,
      dead_lettered: 0,
      unmatched_kept: 0,
      missing_skipped: 1,
    });
    expect(await db.rows("SELECT COUNT(*) AS n FROM projector_dead_letters")).toEqual([{ n: 0 }]);
    expect(await db.rows("SELECT * FROM payments")).toEqual([
      {
        payment_id: "pay-1",
        order_id: "ord-1",
        amount: "20.99",
        refunded_amount: "5.50",
        currency: "USD",
        status: "refunded",
        payer_name: "Grace Hopper",
        channel: "web",
        created_at: "2025-05-01 09:00:00.000000",
        event_id: "00000000-0000-4000-9400-000000000005",
        event_timestamp: "2025-05-02 10:00:00.000000",
      },
    ]);
    // The log keeps every event, the stale one too (logs have no guard).
    expect(await db.rows("SELECT event_type, amount FROM payment_events ORDER BY event_timestamp")).toEqual([
      { event_type: "payment.updated", amount: "0.01" },
      { event_type: "payment.created", amount: "19.99" },
      { event_type: "payment.updated", amount: "20.99" },
      { event_type: "payment.refunded", amount: "0.00" },
      { event_type: "payment.refunded", amount: "5.50" },
      { event_type: "payment.refunded", amount: "5.00" },
    ]);
    // status counts the filtered events from the batches' own counters.
    const st = cli(["status", "--json", "--projections", projections], {
      MYSQL_URL: db.url,
      KAFKA_BROKERS: "127.0.0.1:1",
    });
    const counts = JSON.parse(st.stdout).events.replay;
    expect(counts["payment.created"]).toMatchObject({ applied: 1, filtered: 1 });
    expect(counts["payment.refunded"]).toMatchObject({ applied: 3, missing_skipped: 1 });
  });
});

describe("warehouses", () => {
  it("explodes racks and, nested under each, its bins carrying the rack's key; a restock replaces both", async () => {
    const { db, summary } = await replay("warehouses", [
      ev("warehouse.stocked", "wh-1", "2025-08-01T09:00:00Z", {
        name: "North",
        racks: [
          { rack_id: "R1", aisle: "A", bins: [{ sku: "X", capacity: 10 }, { sku: "Y" }] },
          { rack_id: "R2", aisle: "B", bins: [{ sku: "Z", capacity: 5 }] },
          { rack_id: "R3", aisle: "C" }, // no bins field: no bins
        ],
      }),
      // One bin in one rack (a [*].bins[*] path with one match is still a list of one).
      ev("warehouse.stocked", "wh-2", "2025-08-01T09:00:00Z", {
        racks: [{ rack_id: "R1", bins: [{ sku: "Q" }] }],
      }),
      // Restocked: R1 keeps one bin, R2 is gone with its bins (cascade).
      ev("warehouse.stocked", "wh-1", "2025-08-02T09:00:00Z", {
        racks: [{ rack_id: "R1", aisle: "A", bins: [{ sku: "W", capacity: 1 }] }],
      }),
      // Older than the restock: stale, and so are its racks and their bins.
      ev("warehouse.stocked", "wh-1", "2025-08-01T12:00:00Z", {
        racks: [{ rack_id: "R9", bins: [{ sku: "OLD" }] }],
      }),
    ]);
    expect(summary).toMatchObject({ read: 4, applied: 3, stale: 1, dead_lettered: 0 });
    expect(await db.rows("SELECT warehouse_id, bin_count FROM warehouses ORDER BY warehouse_id")).toEqual([
      { warehouse_id: "wh-1", bin_count: 1 },
      { warehouse_id: "wh-2", bin_count: 1 },
    ]);
    expect(await db.rows("SELECT * FROM racks ORDER BY warehouse_id, rack_id")).toEqual([
      { warehouse_id: "wh-1", rack_id: "R1", aisle: "A" },
      { warehouse_id: "wh-2", rack_id: "R1", aisle: null },
    ]);
    expect(await db.rows("SELECT * FROM bins ORDER BY warehouse_id, rack_id, bin_no")).toEqual([
      { warehouse_id: "wh-1", rack_id: "R1", bin_no: 1, sku: "W", capacity: 1 },
      { warehouse_id: "wh-2", rack_id: "R1", bin_no: 1, sku: "Q", capacity: null },
    ]);
  });
});

describe("payments' refunds", () => {
  it("maps a refund with one set of columns from a payment's refunds (replace) and a refund event (with:)", async () => {
    const { db, summary } = await replay("payments", [
      ev("payment.created", "pay-9", "2025-05-01T09:00:00Z", {
        channel: "web",
        refunds: [{ refund_id: "r1", amount_cents: 100, reason: "Damaged" }],
      }),
      ev("payment.refund_recorded", "pay-9", "2025-05-02T09:00:00Z", {
        refund: { refund_id: "r2", amount_cents: 250, reason: "LATE" },
      }),
      // No refund object: its key is missing, the event is a letter saying so.
      ev("payment.refund_recorded", "pay-9", "2025-05-02T10:00:00Z", {}),
    ]);
    expect(summary).toMatchObject({ read: 3, applied: 2, dead_lettered: 1 });
    expect(await db.rows("SELECT * FROM payment_refunds ORDER BY refund_id")).toEqual([
      { payment_id: "pay-9", refund_id: "r1", amount: "1.00", reason: "damaged" },
      { payment_id: "pay-9", refund_id: "r2", amount: "2.50", reason: "late" },
    ]);
    const [letter] = await db.rows<{ reason: string }>("SELECT reason FROM projector_dead_letters");
    expect(letter!.reason).toContain("payment_refunds.refund_id ← @.refund_id: is missing");
  });
});

describe("fulfilment", () => {
  it("a shipment writes to its order without moving the order's guard, sets shipped_at once, skips missing orders", async () => {
    const completed = ev("order.completed", "ord-1", "2025-07-01T12:00:00Z", {});
    const { db, summary } = await replay("fulfilment", [
      ev("order.created", "ord-1", "2025-07-01T09:00:00Z", {}),
      ev("order.created", "ord-2", "2025-07-01T09:00:00Z", { test: true }), // filtered
      ev("shipment.shipped", "shp-1", "2025-07-02T09:00:00Z", { order_id: "ord-1" }),
      ev("shipment.shipped", "shp-2", "2025-07-03T09:00:00Z", { order_id: "ord-1" }),
      ev("shipment.shipped", "shp-3", "2025-07-03T10:00:00Z", { order_id: "ord-2" }), // skipped
      // The order's own event, older than the shipments but newer than the order: not stale.
      completed,
    ]);
    expect(summary).toMatchObject({
      read: 6,
      applied: 5,
      stale: 0,
      filtered: 1,
      dead_lettered: 0,
      unmatched_kept: 0,
      missing_skipped: 1,
    });
    expect(await db.rows("SELECT * FROM orders")).toEqual([
      {
        order_id: "ord-1",
        status: "completed",
        shipped_at: "2025-07-02 09:00:00.000000",
        last_shipment_id: "shp-2",
        event_id: completed.event_id,
        event_timestamp: "2025-07-01 12:00:00.000000",
      },
    ]);
  });
});

describe("shipments", () => {
  it("projects kilograms and full names, explodes the scans, and MySQL computes the late flag", async () => {
    const recipient = { first_name: "Alan", last_name: "Turing" };
    const scan = (location: string, at: string) => ({ location, code: "sc", at });
    const { db, summary } = await replay("shipments", [
      ev("shipment.created", "shp-1", "2025-06-01T08:00:00Z", {
        order_id: "ord-1",
        carrier: "UPS",
        weight_grams: 1250,
        recipient,
        status: "label_created",
        promised_at: "2025-06-03T18:00:00Z",
        scans: [scan("Leeds", "2025-06-01T09:15:00+01:00")],
      }),
      ev("shipment.created", "shp-2", "2025-06-01T08:00:00Z", {
        weight_grams: 80,
        recipient,
        status: "LABEL_CREATED",
        promised_at: "2025-06-05T18:00:00Z",
      }),
      ev("shipment.tracking_updated", "shp-1", "2025-06-02T08:00:00Z", {
        status: "out_for_delivery",
        scans: [scan("Leeds", "2025-06-01T09:15:00+01:00"), scan("York", "2025-06-02T07:00:00Z")],
      }),
      ev("shipment.delivered", "shp-1", "2025-06-04T09:00:00Z", { delivered_at: "2025-06-04T09:00:00Z" }),
      ev("shipment.delivered", "shp-2", "2025-06-04T10:00:00Z", { delivered_at: "2025-06-04T10:00:00Z" }),
    ]);
    expect(summary).toMatchObject({ read: 5, applied: 5, dead_lettered: 0 });
    expect(
      await db.rows(
        "SELECT shipment_id, carrier, weight_kg, recipient_name, status, scan_count, late FROM shipments ORDER BY shipment_id",
      ),
    ).toEqual([
      {
        shipment_id: "shp-1",
        carrier: "ups",
        weight_kg: "1.250",
        recipient_name: "Alan Turing",
        status: "delivered",
        scan_count: 2,
        late: 1,
      },
      {
        shipment_id: "shp-2",
        carrier: null,
        weight_kg: "0.080",
        recipient_name: "Alan Turing",
        status: "delivered",
        scan_count: null,
        late: 0,
      },
    ]);
    expect(
      await db.rows(
        "SELECT seq, location, code, scanned_on FROM shipment_scans WHERE shipment_id = 'shp-1' ORDER BY seq",
      ),
    ).toEqual([
      { seq: 1, location: "Leeds", code: "SC", scanned_on: "2025-06-01" },
      { seq: 2, location: "York", code: "SC", scanned_on: "2025-06-02" },
    ]);
  });
});

describe("carts", () => {
  it("explodes the SKU map into rows, counts the items, filters test accounts, soft-deletes on checkout", async () => {
    const { db, summary } = await replay("carts", [
      ev("cart.created", "cart-1", "2025-07-01T12:00:00Z", {
        user: { id: "usr-1" },
        currency: "eur",
        items: { "SKU-TEE": { qty: 2, price_cents: 1250 }, "SKU-MUG": { qty: 1, price_cents: 899 } },
      }),
      ev("cart.created", "cart-2", "2025-07-01T12:00:00Z", {
        user: { id: "usr-test", test_account: true },
        items: { "SKU-TEE": { qty: 1, price_cents: 1250 } },
      }),
      ev("cart.updated", "cart-1", "2025-07-01T12:05:00Z", {
        user: { id: "usr-1" },
        items: { "SKU-TEE": { qty: 3, price_cents: 1250 } },
      }),
      ev("cart.checked_out", "cart-1", "2025-07-01T12:10:00Z", {}),
    ]);
    expect(summary).toMatchObject({ read: 4, applied: 3, filtered: 1 });
    expect(await db.rows("SELECT cart_id, user_id, item_count, currency, checked_out_at FROM carts")).toEqual(
      [
        {
          cart_id: "cart-1",
          user_id: "usr-1",
          item_count: 1,
          currency: "EUR",
          checked_out_at: "2025-07-01 12:10:00.000000",
        },
      ],
    );
    expect(await db.rows("SELECT cart_id, sku, quantity, unit_price, line_total FROM cart_items")).toEqual([
      { cart_id: "cart-1", sku: "SKU-TEE", quantity: 3, unit_price: "12.50", line_total: "37.50" },
    ]);
  });
});

describe("invoices", () => {
  it("keeps totals that aggregate the lines (sum, count, min, max over [*] paths, sum of qty × price) beside the lines themselves", async () => {
    const { db, summary } = await replay("invoices", [
      ev("invoice.issued", "inv-1", "2025-03-01T09:00:00Z", {
        customer_id: "c-1",
        lines: [
          { sku: "A", amount: "10.10" },
          { sku: "B", amount: 5 },
          { sku: "C", amount: null },
        ],
        installments: [{ due_at: "2025-04-01T00:00:00Z" }, { due_at: "2025-03-15T00:00:00+01:00" }],
      }),
      ev("invoice.issued", "inv-2", "2025-03-01T09:05:00Z", { customer_id: "c-2", lines: [] }),
      // Reissued with other lines: the totals follow, the lines are replaced.
      ev("invoice.issued", "inv-1", "2025-03-02T09:00:00Z", {
        customer_id: "c-1",
        lines: [
          { sku: "A", amount: "10.10", qty: 3, unit_price: "2.50" },
          { sku: "D", amount: "0.2", qty: 2, unit_price: 0.1 },
          { sku: "E", amount: null, unit_price: 9 },
        ],
      }),
      ev("invoice.paid", "inv-1", "2025-03-05T12:00:00Z", {
        payments: [{ at: "2025-03-05T11:00:00+02:00" }, { at: "2025-03-04T10:00:00Z" }],
      }),
      // A line that is not a number: the event is a letter with the reason, the stream goes on.
      ev("invoice.issued", "inv-3", "2025-03-06T09:00:00Z", { lines: [{ sku: "X", amount: "ten" }] }),
    ]);
    expect(summary).toMatchObject({ read: 5, applied: 4, dead_lettered: 1 });
    expect(
      await db.rows(
        "SELECT invoice_id, total, gross, line_count, largest_line, first_due_at, last_paid_at FROM invoices ORDER BY invoice_id",
      ),
    ).toEqual([
      {
        invoice_id: "inv-1",
        total: "10.30",
        // Σ qty × unit price: 3 × 2.50 + 2 × 0.1 (line E has no qty).
        gross: "7.70",
        line_count: 3,
        largest_line: "10.10",
        // The reissue has no installments at all: an absent path leaves the column as it was.
        first_due_at: "2025-03-14 23:00:00.000000",
        last_paid_at: "2025-03-05 09:00:00.000000",
      },
      {
        invoice_id: "inv-2",
        total: "0.00",
        gross: "0.00",
        line_count: 0,
        largest_line: null,
        first_due_at: null,
        last_paid_at: null,
      },
    ]);
    expect(
      await db.rows(
        "SELECT invoice_id, line_no, sku, amount FROM invoice_lines ORDER BY invoice_id, line_no",
      ),
    ).toEqual([
      { invoice_id: "inv-1", line_no: 1, sku: "A", amount: "10.10" },
      { invoice_id: "inv-1", line_no: 2, sku: "D", amount: "0.20" },
      { invoice_id: "inv-1", line_no: 3, sku: "E", amount: null },
    ]);
    const [letter] = await db.rows<{ reason: string }>("SELECT reason FROM projector_dead_letters");
    expect(letter!.reason).toContain('sum expected a number, got the string "ten"');
  });
});
