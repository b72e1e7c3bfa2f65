import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { MapError, mapEvent } from "../../src/compile/map-event.js";
import { type Statement, statementBytes } from "../../src/compile/statements.js";
import { decideBatch, type MappedEvent } from "../../src/run/decide.js";
import { decodeEnvelope, EnvelopeError } from "../../src/run/decode.js";
import { buildStatements } from "../../src/run/group-statements.js";
import { RowState } from "../../src/run/row-state.js";
import { loadSpecDirOrThrow, loadSpecTexts } from "../helpers/specs.js";

const plan = compile(loadSpecDirOrThrow(fileURLToPath(new URL("../../projections", import.meta.url))));

/** The example envelope of each event type (examples.jsonl), as a template. */
const templates = new Map<string, Record<string, unknown>>(
  readFileSync(new URL("../fixtures/events/examples.jsonl", import.meta.url), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const e = JSON.parse(l) as Record<string, unknown>;
      return [e.event_type as string, e];
    }),
);

let serial = 0;

/** An envelope of `eventType` built from its example: new event id, the given entity, time and data fields. */
function ev(
  eventType: string,
  entityId: string,
  timestamp: string,
  data: Record<string, unknown> = {},
): Record<string, unknown> {
  const t = templates.get(eventType);
  if (!t) throw new Error(`no example for ${eventType}`);
  serial++;
  return {
    ...t,
    event_id: `00000000-0000-4000-9000-${String(serial).padStart(12, "0")}`,
    entity_id: entityId,
    timestamp,
    data: { ...(t.data as object), ...data },
  };
}

/**
 * Maps, decides and groups a batch; every op must be applied. The row state starts empty, or with
 * `existing` rows (table, key) that were there before the batch, with an old guard value.
 */
function build(
  envelopes: readonly Record<string, unknown>[],
  existing: readonly [string, string][] = [],
  maxBytes?: number,
): Statement[] {
  const events: MappedEvent[] = envelopes.map((e, index) => {
    const envelope = decodeEnvelope(JSON.stringify(e));
    if (envelope instanceof EnvelopeError) throw new Error(envelope.reason);
    const ops = mapEvent(plan.events.get(envelope.event_type)!, envelope);
    if (ops instanceof MapError) throw new Error(ops.reason);
    return { index, eventType: envelope.event_type, ops };
  });
  const state = new RowState();
  for (const [table, key] of existing)
    state.write(plan.tableByName.get(table)!.spec, key, "2000-01-01 00:00:00.000000");
  const decision = decideBatch(events, plan, state);
  expect(decision.results.filter((r) => r.stale.length > 0 || r.unmatched.length > 0)).toEqual([]);
  const statements = buildStatements(decision.ops, plan, maxBytes);
  for (const s of statements) expect(s.sql.split("?").length - 1, s.sql).toBe(s.params.length);
  return statements;
}

/** A spec of its own (things.yaml, these lines), loaded without issues and compiled. */
function compileThings(lines: readonly string[]) {
  const { spec, issues } = loadSpecTexts([{ file: "things.yaml", text: `${lines.join("\n")}\n` }]);
  expect(issues).toEqual([]);
  return compile(spec);
}

/** `INSERT products ×2`, `DELETE product_variants`, `UPDATE orders`: the statement kind, table and row count. */
function outline(s: Statement): string {
  const m = /^(INSERT INTO|DELETE FROM|UPDATE|DELETE t FROM) `(\w+)`/.exec(s.sql);
  if (!m) throw new Error(`unexpected statement ${s.sql}`);
  const verb = m[1]!.split(" ")[0];
  if (verb !== "INSERT") return `${verb} ${m[2]}`;
  const rows = s.sql.slice(s.sql.indexOf(" VALUES ")).split("),(").length;
  return `INSERT ${m[2]} ×${rows}`;
}

const p = (n: number) => `(${Array.from({ length: n }, () => "?").join(",")})`;

const U1 = "65a1f00000000000000000a1";
const U2 = "65a1f00000000000000000a2";
const U3 = "65a1f00000000000000000a3";
const P1 = "65a1f00000000000000002a1";
const P2 = "65a1f00000000000000002a2";

describe("buildStatements", () => {
  it("puts consecutive upserts of different rows of one table into ONE multi-row statement", () => {
    const statements = build([
      ev("user.created", U1, "2025-01-15T10:00:00Z"),
      ev("user.created", U2, "2025-01-15T10:01:00Z"),
      ev("user.registered", U3, "2025-01-15T10:02:00Z"),
    ]);
    expect(statements).toHaveLength(1);
    const [s] = statements as [Statement];
    expect(s.sql).toMatch(/^INSERT INTO `users` \(`user_id`,`email`,/);
    expect(s.sql).toContain(` VALUES ${p(20)},${p(20)},${p(20)} ON DUPLICATE KEY UPDATE `);
    expect(s.params).toHaveLength(60);
    // rows in event order, each starting with its key
    expect([s.params[0], s.params[20], s.params[40]]).toEqual([U1, U2, U3]);
  });

  it("writes two upserts of the same row with the same shape as one row: the later values, the earlier kept ones", () => {
    const statements = build([
      ev("user.created", U1, "2025-01-15T10:00:00Z", { created_at: "2025-01-15T09:00:00Z" }),
      ev("user.created", U2, "2025-01-15T10:30:00Z"),
      ev("user.updated", U1, "2025-01-16T10:00:00Z", { version: 2, created_at: "2025-01-16T09:00:00Z" }),
    ]);
    // MySQL would apply the rows of one INSERT … ON DUPLICATE KEY UPDATE one after the other: the
    // update's row overwrites every column but created_at (keep_existing), so it alone is written,
    // in the creation's place, with the creation's created_at.
    expect(statements.map(outline)).toEqual(["INSERT users ×2"]);
    const [s] = statements as [Statement];
    expect([s.params[0], s.params[20]]).toEqual([U1, U2]);
    expect(s.params[6]).toBe(2); // version
    expect(s.params[8]).toBe("2025-01-15 09:00:00.000000"); // created_at
    expect(s.params[19]).toBe("2025-01-16 10:00:00.000000"); // event_timestamp
  });

  it("keeps both rows of one upserted row when another statement touched it between them", () => {
    const statements = build([
      ev("user.created", U1, "2025-01-15T10:00:00Z"),
      ev("user.deleted", U1, "2025-01-15T11:00:00Z"),
      ev("user.updated", U1, "2025-01-15T12:00:00Z"),
    ]);
    expect(statements.map(outline)).toEqual(["INSERT users ×1", "UPDATE users", "INSERT users ×1"]);
  });

  it("puts an update of a row upserted earlier in the batch after that upsert", () => {
    const statements = build([
      ev("user.created", U1, "2025-01-15T10:00:00Z"),
      ev("user.account_locked", U1, "2025-01-15T11:00:00Z"),
      ev("user.created", U2, "2025-01-15T12:00:00Z"),
      ev("user.updated", U1, "2025-01-15T13:00:00Z"),
    ]);
    expect(statements.map(outline)).toEqual([
      "INSERT users ×2", // U1 and U2: U2 is not touched by the update in between
      "UPDATE users",
      "INSERT user_events ×1",
      "INSERT users ×1", // U1 again: must follow the update, so it cannot join the first statement
    ]);
    expect(statements[1]!.sql).toBe(
      "UPDATE `users` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`, ? AS `v1`, ? AS `v2`) AS u ON t.`user_id` = u.`k0` SET t.`status` = u.`v0`, t.`event_id` = u.`v1`, t.`event_timestamp` = u.`v2` WHERE (t.`event_timestamp` IS NULL OR t.`event_timestamp` <= u.`v2`)",
    );
    expect(statements[1]!.params).toEqual([U1, "locked", expect.any(String), "2025-01-15 11:00:00.000000"]);
    expect([statements[0]!.params[0], statements[0]!.params[20]]).toEqual([U1, U2]);
    expect(statements[3]!.params[0]).toBe(U1);
  });

  it("keeps the order of two upserts of the same row with different signatures", () => {
    const statements = build(
      [
        ev("product.created", P1, "2025-01-12T12:00:00Z"),
        ev("product.published", P1, "2025-01-13T13:00:00Z"), // selective: fewer columns
        ev("product.updated", P1, "2025-01-14T12:00:00Z"),
      ],
      [["products", P1]],
    );
    expect(statements.map(outline)).toEqual([
      "INSERT products ×1",
      "DELETE product_variants",
      "INSERT product_variants ×2",
      "INSERT product_events ×3",
      "INSERT products ×1",
      "INSERT products ×1",
      "DELETE product_variants",
      "INSERT product_variants ×1",
    ]);
    expect(statements[4]!.sql).toMatch(
      /^INSERT INTO `products` \(`product_id`,`supplier_id`,`name`,`category`,`base_price_cents`,`status`,`event_id`,`event_timestamp`\) VALUES \(\?,\?,\?,\?,\?,\?,\?,\?\) ON DUPLICATE KEY UPDATE /,
    );
    expect(statements[4]!.params).toHaveLength(8);
    expect(statements[5]!.sql).toMatch(/^INSERT INTO `products` \(`product_id`,`supplier_id`,`name`,`slug`,/);
    expect(statements[5]!.params).toHaveLength(17);
    expect(statements[5]!.params.at(-1)).toBe("2025-01-14 12:00:00.000000");
  });

  it("groups order.created ×3 into one upsert, one DELETE … IN, one multi-row insert of items and one log insert", () => {
    const orders = ["65a1f00000000000000003a1", "65a1f00000000000000003a2", "65a1f00000000000000003a3"];
    const statements = build(
      orders.map((id, i) => ev("order.created", id, `2025-01-15T12:0${i}:00Z`, { order_number: `ORD-${i}` })),
      orders.map((id) => ["orders", id]), // redelivered: the orders and their old items exist
    );
    expect(statements.map(outline)).toEqual([
      "INSERT orders ×3",
      "DELETE order_items",
      "INSERT order_items ×6",
      "INSERT order_events ×3",
    ]);
    const [upsert, del, items, log] = statements as [Statement, Statement, Statement, Statement];
    expect(upsert.sql).toMatch(/^INSERT INTO `orders` \(`order_id`,`order_number`,/);
    expect(upsert.params).toHaveLength(3 * 22);
    expect(del).toEqual({ sql: "DELETE FROM `order_items` WHERE `order_id` IN (?,?,?)", params: orders });
    expect(items.sql).toMatch(/^INSERT INTO `order_items` \(`order_id`,`line_no`,`item_id`,/);
    expect(items.sql).not.toContain("ON DUPLICATE KEY");
    expect(items.params).toHaveLength(6 * 14);
    // parent key then line number, per row
    expect([items.params[0], items.params[1], items.params[14], items.params[15], items.params[28]]).toEqual([
      orders[0],
      1,
      orders[0],
      2,
      orders[1],
    ]);
    expect(log.sql).toMatch(
      /^INSERT INTO `order_events` \(`order_id`,`event_type`,`event_data`,`event_id`,`event_timestamp`\) VALUES /,
    );
    expect(log.sql).toMatch(/ ON DUPLICATE KEY UPDATE `event_timestamp` = `event_timestamp`$/);
    expect(log.params).toHaveLength(3 * 5);
  });

  it("replaces variants twice in order when one batch creates and then updates a product", () => {
    const statements = build(
      [ev("product.created", P1, "2025-01-12T12:00:00Z"), ev("product.updated", P1, "2025-01-13T12:00:00Z")],
      [["products", P1]],
    );
    expect(statements.map(outline)).toEqual([
      // The update's upsert of P1 takes the creation's place in the first statement: a child insert
      // only reads its parent, so it does not keep the second upsert out of it.
      "INSERT products ×1",
      "DELETE product_variants",
      // The update's replace supersedes the creation's: only its one variant is inserted.
      "INSERT product_variants ×1",
      "INSERT product_events ×2",
    ]);
    const sqls = statements.map((s) => s.sql);
    expect(sqls.filter((s) => s.startsWith("DELETE FROM `product_variants`"))).toHaveLength(1);
    expect(sqls.indexOf("DELETE FROM `product_variants` WHERE `product_id` IN (?)")).toBeLessThan(
      sqls.findIndex((s) => s.startsWith("INSERT INTO `product_variants`")),
    );
    expect(statements[1]).toEqual({
      sql: "DELETE FROM `product_variants` WHERE `product_id` IN (?)",
      params: [P1],
    });
    expect(statements[2]!.params.slice(0, 2)).toEqual([P1, "red-m"]);
  });

  it("keeps a delete of a parent before its re-creation, and batches unrelated rows around it", () => {
    const statements = build(
      [
        ev("product.created", P1, "2025-01-12T12:00:00Z"),
        ev("product.deleted", P1, "2025-01-13T12:00:00Z"),
        ev("product.created", P2, "2025-01-13T12:30:00Z"),
        ev("product.created", P1, "2025-01-14T12:00:00Z"),
      ],
      [
        ["products", P1],
        ["products", P2],
      ],
    );
    expect(statements.map(outline)).toEqual([
      "INSERT products ×2", // P1, and P2 (not touched by the delete)
      "DELETE product_variants", // of P1 and P2
      "INSERT product_variants ×4",
      "INSERT product_events ×4",
      "DELETE products",
      "INSERT products ×1", // P1 again: after its delete
      // (no DELETE of P1's variants: the delete of P1 took them, ON DELETE CASCADE)
      "INSERT product_variants ×2",
      "INSERT projector_tombstones ×1", // the delete's guard: older events of P1 stay stale
    ]);
    expect(statements[7]!.params.slice(1)).toEqual([
      "products",
      JSON.stringify([P1]),
      "2025-01-13 12:00:00.000000",
    ]);
    expect(statements[0]!.params[0]).toBe(P1);
    expect(statements[0]!.params[17]).toBe(P2);
    expect(statements[1]).toEqual({
      sql: "DELETE FROM `product_variants` WHERE `product_id` IN (?,?)",
      params: [P1, P2],
    });
    expect(statements[4]).toEqual({
      sql: "DELETE t FROM `products` AS t JOIN (SELECT ? AS `k0`, ? AS `g`) AS u ON t.`product_id` = u.`k0` WHERE (t.`event_timestamp` IS NULL OR t.`event_timestamp` <= u.`g`)",
      params: [P1, "2025-01-13 12:00:00.000000"],
    });
    expect(statements[5]!.params[0]).toBe(P1);
    expect(statements[6]!.params[0]).toBe(P1);
  });

  it("orders an update by unique key (order_number) after the upsert that created the row", () => {
    const order = "65a1f00000000000000003b1";
    const statements = build([
      ev("order.created", order, "2025-01-15T12:00:00Z", { order_number: "ORD-B1" }),
      ev("order.cancelled", order, "2025-01-15T18:00:00Z", { order_number: "ORD-B1" }),
    ]);
    expect(statements.map(outline)).toEqual([
      "INSERT orders ×1",
      "INSERT order_items ×2", // a new order has no old items to delete
      "INSERT order_events ×1",
      "UPDATE orders",
      "INSERT order_events ×1", // the cancellation's log row maps `reason` too: another shape
    ]);
    expect(statements[3]).toEqual({
      sql: "UPDATE `orders` AS t JOIN (SELECT ? AS `k0`, ? AS `v0`, ? AS `v1`, ? AS `v2`, ? AS `v3`) AS u ON t.`order_number` = u.`k0` SET t.`status` = u.`v0`, t.`cancel_reason` = u.`v1`, t.`event_id` = u.`v2`, t.`event_timestamp` = u.`v3` WHERE (t.`event_timestamp` IS NULL OR t.`event_timestamp` <= u.`v3`)",
      params: ["ORD-B1", "cancelled", "customer_requested", expect.any(String), "2025-01-15 18:00:00.000000"],
    });
  });

  it("deletes no old children of parents the batch creates, and still those of parents that existed", () => {
    const orders = ["65a1f00000000000000003c1", "65a1f00000000000000003c2", "65a1f00000000000000003c3"];
    const statements = build(
      orders.map((id, i) =>
        ev("order.created", id, `2025-01-15T12:0${i}:00Z`, { order_number: `ORD-C${i}` }),
      ),
      [["orders", orders[1]!]], // only the second one existed before the batch
    );
    expect(statements.map(outline)).toEqual([
      "INSERT orders ×3",
      "DELETE order_items",
      "INSERT order_items ×6",
      "INSERT order_events ×3",
    ]);
    expect(statements[1]).toEqual({
      sql: "DELETE FROM `order_items` WHERE `order_id` IN (?)",
      params: [orders[1]],
    });
  });

  it("inserts only the last child set of a product the batch creates and updates, deleting nothing", () => {
    const statements = build([
      ev("product.created", P1, "2025-01-12T12:00:00Z"),
      ev("product.updated", P1, "2025-01-13T12:00:00Z"),
    ]);
    expect(statements.map(outline)).toEqual([
      "INSERT products ×1", // the update's row supersedes the creation's
      "INSERT product_variants ×1", // and its set the creation's
      "INSERT product_events ×2",
    ]);
    expect(statements[1]!.params.slice(0, 2)).toEqual([P1, "red-m"]);
  });

  it("writes DEFAULT for absent values of appended rows and binds nothing for them", () => {
    const promo = "65a1f00000000000000005a1";
    const statements = build([
      ev("promotion.created", promo, "2025-02-01T10:00:00Z"),
      ev("promotion.paused", promo, "2025-02-02T10:00:00Z"), // reason, no reviewer/scope
      ev("promotion.approved", promo, "2025-02-03T10:00:00Z"), // reviewer and scope, no reason
    ]);
    expect(statements.map(outline)).toEqual([
      "INSERT promotions ×1",
      // paused then approved set the same columns: the later update supersedes the earlier one
      "UPDATE promotions",
      "INSERT promotion_events ×2",
    ]);
    expect(statements[1]!.params.slice(0, 2)).toEqual([promo, "approved"]);
    const log = statements[2]!;
    expect(log.sql).toBe(
      "INSERT INTO `promotion_events` (`promotion_id`,`supplier_id`,`event_type`,`reviewer_id`,`scope`,`reason`,`event_data`,`event_id`,`event_timestamp`) VALUES (?,?,?,DEFAULT,DEFAULT,?,?,?,?),(?,?,?,?,?,DEFAULT,?,?,?) ON DUPLICATE KEY UPDATE `event_timestamp` = `event_timestamp`",
    );
    expect(log.params).toHaveLength(7 + 8);
    expect(log.params.slice(0, 4)).toEqual([
      promo,
      "65a1f0000000000000000101",
      "promotion.paused",
      "stock issue",
    ]);
  });

  it("splits a statement too big for the server's packet into consecutive ones of the same shape", () => {
    const batch = Array.from({ length: 40 }, (_, i) =>
      ev(
        "order.created",
        `65a1f0000000000000000${String(700 + i)}`,
        `2025-01-15T10:${String(i).padStart(2, "0")}:00Z`,
        {
          order_number: `ORD-20250115-${String(9000 + i)}`,
        },
      ),
    );
    const whole = build(batch);
    const biggest = Math.max(...whole.map(statementBytes));
    const limit = Math.floor(biggest / 3);
    const parts = build(batch, [], limit);
    expect(parts.length).toBeGreaterThan(whole.length);
    for (const s of parts) {
      const rows = s.sql.includes(" VALUES ")
        ? s.sql.slice(s.sql.indexOf(" VALUES ")).split("),(").length
        : 1;
      if (rows > 1) expect(statementBytes(s)).toBeLessThanOrEqual(limit);
    }
    // The same rows in the same order, only cut into more statements.
    expect(parts.flatMap((s) => s.params)).toEqual(whole.flatMap((s) => s.params));
    expect(
      new Set(
        parts.map((s) =>
          s.sql
            .replace(/ VALUES .*? ON DUPLICATE/, " VALUES … ON DUPLICATE")
            .replace(/\(\?[?,]*\)(,\(\?[?,]*\))*/g, "(…)"),
        ),
      ),
    ).toEqual(
      new Set(
        whole.map((s) =>
          s.sql
            .replace(/ VALUES .*? ON DUPLICATE/, " VALUES … ON DUPLICATE")
            .replace(/\(\?[?,]*\)(,\(\?[?,]*\))*/g, "(…)"),
        ),
      ),
    );
  });

  it("returns no statements for an empty batch", () => {
    expect(buildStatements([], plan)).toEqual([]);
  });

  // BUG (see report): on a table without stamp columns, an update whose SET paths are all absent
  // (a selective payload) becomes `UPDATE … SET  WHERE …`, a syntax error that fails the whole batch.
  it("never builds an UPDATE with an empty SET list", () => {
    const small = compileThings([
      "tables:",
      "  things:",
      "    primary_key: [id]",
      "    columns:",
      "      id: { type: varchar(24) }",
      "      status: { type: varchar(20), nullable: true }",
      "events:",
      "  thing.changed:",
      "    - update: things",
      "      where: { id: $.entity_id }",
      "      set: { status: $.data.status }",
    ]);
    const ops = mapEvent(small.events.get("thing.changed")!, {
      event_type: "thing.changed",
      event_id: "e-1",
      timestamp: "2025-01-01T00:00:00Z",
      entity_id: "t-1",
      data: {}, // selective payload without status
    });
    if (ops instanceof MapError) throw new Error(ops.reason);
    const statements = buildStatements(
      ops.map((op) => ({ op, eventIndex: 0, rowKey: "t-1" })),
      small,
    );
    for (const s of statements) expect(s.sql).not.toMatch(/ SET\s+WHERE /);
  });

  it("keeps both upserts of one order in order: orders has a unique key another row may free between them", () => {
    const O1 = "65a1f00000000000000003a1";
    const statements = build([
      ev("order.created", O1, "2025-01-15T10:00:00Z"),
      ev("order.created", O1, "2025-01-15T11:00:00Z"),
    ]);
    expect(statements.map(outline)[0]).toBe("INSERT orders ×2");
  });

  it("writes a keep_existing guard as the later row's: the update assigns the guard whatever it says", () => {
    const small = compileThings([
      "tables:",
      "  things:",
      "    primary_key: [id]",
      "    guard: ts",
      "    columns:",
      "      id: { type: varchar(24) }",
      "      name: { type: varchar(20) }",
      "      first_name: { type: varchar(20) }",
      "      ts: { type: datetime(6) }",
      "events:",
      "  thing.saved:",
      "    - upsert: things",
      "      columns:",
      "        id: $.entity_id",
      "        name: $.data.name",
      "        first_name: { path: $.data.name, keep_existing: true }",
      "        ts: { path: $.timestamp, keep_existing: true }",
    ]);
    const saved = (name: string, timestamp: string, index: number): MappedEvent => {
      const envelope = {
        event_type: "thing.saved",
        event_id: `e-${index}`,
        timestamp,
        entity_id: "t-1",
        data: { name },
      };
      const ops = mapEvent(small.events.get("thing.saved")!, envelope);
      if (ops instanceof MapError) throw new Error(ops.reason);
      return { index, eventType: "thing.saved", ops };
    };
    const events = [saved("a", "2025-01-01T00:00:00Z", 0), saved("b", "2025-01-02T00:00:00Z", 1)];
    const decision = decideBatch(events, small, new RowState());
    const statements = buildStatements(decision.ops, small);
    expect(statements).toHaveLength(1);
    // one row: the later name and guard, the earlier first_name
    expect(statements[0]!.params).toEqual(["t-1", "b", "a", "2025-01-02 00:00:00.000000"]);
  });
});
