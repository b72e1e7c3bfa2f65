import { describe, expect, it } from "vitest";
import { compareVersions, tableFingerprints } from "../../src/compile/fingerprint.js";
import { Reference } from "../../src/reference/interpreter.js";
import { decideBatch } from "../../src/run/decide.js";
import { buildStatements } from "../../src/run/group-statements.js";
import { mappedEvents, prepareRecord } from "../../src/run/prepare.js";
import { RowState } from "../../src/run/row-state.js";
import { formatIssue } from "../../src/specs/issues.js";
import { recordMaker } from "../helpers/records.js";
import { compileSpecText, loadSpecTexts } from "../helpers/specs.js";

/** `aggregate:` columns: the reference's semantics, the statement, what validate says. */
const yaml = `tables:
  carts:
    primary_key: [cart_id]
    columns:
      cart_id: { type: varchar(8) }
      item_count: { type: int, default: 0, aggregate: { count: lines } }
      open_count: { type: int, default: 0, aggregate: { count: lines, where: { status: open } } }
      total: { type: "decimal(12,2)", nullable: true, default: 0, aggregate: { sum: lines, of: [qty, price] } }
      rounded: { type: "decimal(12,1)", nullable: true, default: 0, aggregate: { sum: lines, of: [qty, price] } }
  lines:
    parent: { table: carts, columns: [cart_id] }
    primary_key: [cart_id, sku]
    columns:
      cart_id: { type: varchar(8) }
      sku: { type: varchar(8) }
      qty: { type: int, nullable: true }
      price: { type: "decimal(10,2)", nullable: true }
      status: { type: varchar(8), nullable: true }
events:
  cart.created:
    - upsert: carts
      columns: { cart_id: $.entity_id }
    - replace: lines
      where: { cart_id: $.entity_id }
      for_each: $.data.lines
      columns: { sku: "@.sku", qty: "@.qty", price: "@.price", status: "@.status" }
  line.added:
    - upsert: lines
      columns: { cart_id: $.entity_id, sku: $.data.sku, qty: $.data.qty, price: $.data.price, status: $.data.status }
  line.closed:
    - update: lines
      where: { cart_id: $.entity_id, sku: $.data.sku }
      set: { status: closed }
  line.removed:
    - delete: lines
      where: { cart_id: $.entity_id, sku: $.data.sku }
`;

const compiled = (text = yaml) => compileSpecText(text, "a.yaml");

const record = recordMaker("a");
const ev = (type: string, entity: string, data: Record<string, unknown>) =>
  record({ type, entity, timestamp: "2025-01-01T00:00:00Z", data });

describe("aggregate: columns in the reference interpreter", () => {
  it("follow every write of the children: replace, upsert, update, delete", () => {
    const ref = new Reference(compiled());
    const cart = () => ref.row("carts", ["K"]);
    ref.apply(
      ev("cart.created", "K", {
        lines: [
          { sku: "A", qty: 2, price: "1.25", status: "open" },
          { sku: "B", qty: 1, price: "0.05", status: "OPEN" },
          { sku: "C", qty: null, price: "9.99", status: "open" },
        ],
      }),
    );
    // OPEN is not open (exact, as keys compare); a NULL qty leaves its line out of the sum.
    expect(cart()).toMatchObject({ item_count: 3, open_count: 2, total: "2.55", rounded: "2.6" });
    ref.apply(ev("line.added", "K", { sku: "D", qty: 3, price: "10.00", status: "open" }));
    expect(cart()).toMatchObject({ item_count: 4, open_count: 3, total: "32.55" });
    ref.apply(ev("line.closed", "K", { sku: "A" }));
    ref.apply(ev("line.removed", "K", { sku: "D" }));
    expect(cart()).toMatchObject({ item_count: 3, open_count: 1, total: "2.55", rounded: "2.6" });
    ref.apply(ev("cart.created", "K", { lines: [] }));
    expect(cart()).toMatchObject({ item_count: 0, open_count: 0, total: "0.00", rounded: "0.0" });
  });

  it("a sum out of the column's range is NULL, and a value again when the children allow", () => {
    const ref = new Reference(compiled());
    ref.apply(ev("cart.created", "L", { lines: [] }));
    const out = ref.apply(ev("line.added", "L", { sku: "A", qty: 2_000_000, price: "99999999.00" }));
    expect(out.kind).toBe("applied");
    expect(ref.row("carts", ["L"])).toMatchObject({ item_count: 1, total: null, rounded: null });
    ref.apply(ev("line.added", "L", { sku: "A", qty: 2, price: "1.00" }));
    expect(ref.row("carts", ["L"])).toMatchObject({ item_count: 1, total: "2.00", rounded: "2.0" });
  });
});

describe("aggregate: the statement", () => {
  it("recomputes the touched parents from their children, after the batch's writes", () => {
    const c = compiled();
    const live = [
      ev("cart.created", "M", { lines: [{ sku: "A", qty: 1, price: "1.00" }] }),
      ev("line.added", "N", { sku: "B", qty: 1, price: "1.00" }),
    ].map((r) => prepareRecord(c, r, false));
    const state = new RowState();
    state.write(c.tableByName.get("carts")!.spec, "N", null);
    const statements = buildStatements(
      decideBatch(mappedEvents(live), c, state).ops,
      c,
      undefined,
      "mariadb",
    );
    const last = statements.at(-1)!;
    expect(last.sql).toBe(
      "UPDATE `carts` AS t SET t.`item_count` = (SELECT COUNT(*) FROM `lines` AS a WHERE a.`cart_id` = t.`cart_id`), " +
        "t.`open_count` = (SELECT COUNT(*) FROM `lines` AS a WHERE a.`cart_id` = t.`cart_id` AND a.`status` COLLATE utf8mb4_nopad_bin = ?), " +
        "t.`total` = (SELECT CASE WHEN COALESCE(ROUND(SUM(a.`qty` * a.`price`), 2), 0) BETWEEN -9999999999.99 AND 9999999999.99 THEN COALESCE(ROUND(SUM(a.`qty` * a.`price`), 2), 0) END FROM `lines` AS a WHERE a.`cart_id` = t.`cart_id`), " +
        "t.`rounded` = (SELECT CASE WHEN COALESCE(ROUND(SUM(a.`qty` * a.`price`), 1), 0) BETWEEN -99999999999.9 AND 99999999999.9 THEN COALESCE(ROUND(SUM(a.`qty` * a.`price`), 1), 0) END FROM `lines` AS a WHERE a.`cart_id` = t.`cart_id`) " +
        "WHERE t.`cart_id` IN (?,?)",
    );
    expect(last.params).toEqual(["open", "M", "N"]);
  });
});

describe("aggregate: validate", () => {
  const issues = (text: string) =>
    loadSpecTexts([{ file: "a.yaml", text }])
      .issues.map(formatIssue)
      .join("\n");
  it("says what cannot be aggregated, and where", () => {
    expect(issues(yaml.replace("aggregate: { count: lines } }", "aggregate: { count: carts } }"))).toMatch(
      /aggregate carts\.item_count: carts is not a child table of carts \(aggregate one of carts's child tables: lines\)/,
    );
    expect(issues(yaml.replace("item_count: { type: int, default: 0,", "item_count: { type: int,"))).toMatch(
      /the column's default must be 0/,
    );
    expect(issues(yaml.replace("of: [qty, price]", "of: [qty, status]"))).toMatch(
      /sums exact numbers; lines\.status is varchar\(8\)/,
    );
    expect(
      issues(
        yaml.replace(
          "    - upsert: carts\n      columns: { cart_id: $.entity_id }",
          "    - upsert: carts\n      columns: { cart_id: $.entity_id, item_count: 1 }",
        ),
      ),
    ).toMatch(
      /cart\.created writes carts\.item_count, which the engine keeps equal to the count of its lines rows/,
    );
    expect(
      issues(
        yaml.replace('total: { type: "decimal(12,2)", nullable: true,', 'total: { type: "decimal(12,2)",'),
      ),
    ).toMatch(
      /a sum of any number of lines rows may not fit decimal\(12,2\), and is then NULL, so the column must be nullable/,
    );
    expect(issues(yaml.replace("where: { status: open }", "where: { qty: many }"))).toMatch(
      /aggregate carts\.open_count: where qty: "many" is no value of lines\.qty: /,
    );
    expect(issues(yaml)).toBe("");
  });
});

describe("aggregate: versions", () => {
  it("an aggregate added to a table with rows needs a rebuild (its values are not computed)", () => {
    const load = (text: string) => loadSpecTexts([{ file: "a.yaml", text }]).spec;
    const before = tableFingerprints(load(yaml.replace(/\n {6}open_count: .*\n/, "\n")));
    const now = tableFingerprints(load(yaml));
    const change = compareVersions(before.get("carts")!.version, now.get("carts")!.version);
    expect(change.state).toBe("rebuild");
    expect(JSON.stringify(change)).toContain("aggregate column open_count added");
    expect(compareVersions(now.get("lines")!.version, now.get("lines")!.version)).toMatchObject({
      state: "current",
    });
  });
});
