import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compareVersions, tableFingerprints } from "../../src/compile/fingerprint.js";
import { planRebuild, RebuildError, swapBackSql, swapSql } from "../../src/compile/rebuild.js";
import { loadSpecDirOrThrow, loadSpecTexts } from "../helpers/specs.js";

const PROJECTIONS = fileURLToPath(new URL("../../projections", import.meta.url));
const spec = loadSpecDirOrThrow(PROJECTIONS);

/** A one-file spec: orders and its items, written by order.created. */
function orders(extraColumn = "", extraMapping = "", itemsPath = "$.data.items", statusType = "varchar(20)") {
  const text = `
tables:
  orders:
    primary_key: [order_id]
    guard: ts
    columns:
      order_id: { type: varchar(24) }
      status: { type: ${statusType}, nullable: true }
${extraColumn}      ts: { type: datetime(6) }
  order_items:
    parent: { table: orders, columns: [order_id] }
    primary_key: [order_id, line_no]
    columns:
      order_id: { type: varchar(24) }
      line_no: { type: int }
      sku: { type: varchar(50), nullable: true }
events:
  order.created:
    - upsert: orders
      columns:
        order_id: $.entity_id
        status: $.data.status
        ts: $.timestamp
${extraMapping}    - replace: order_items
      where: { order_id: $.entity_id }
      for_each: ${itemsPath}
      columns: { line_no: "@position", sku: "@.sku" }
`;
  return loadSpecTexts([{ file: "order.yaml", text }]);
}

function change(before: ReturnType<typeof orders>, after: ReturnType<typeof orders>, table = "orders") {
  const a = tableFingerprints(before.spec).get(table)!;
  const b = tableFingerprints(after.spec).get(table)!;
  return { same: a.fingerprint === b.fingerprint, ...compareVersions(a.version, b.version) };
}

describe("table versions", () => {
  const base = orders();
  it("loads the test specs", () => {
    expect(base.issues).toEqual([]);
  });

  it("the same specs, written differently (a comment, spacing), have the same fingerprint", () => {
    const again = orders("", "", "$.data.items    # the order's lines");
    expect(again.issues).toEqual([]);
    expect(change(base, again)).toEqual({ same: true, state: "current", reasons: [] });
    expect(change(base, again, "order_items")).toEqual({ same: true, state: "current", reasons: [] });
  });

  it("a column written by an event is a rebuild: the rows already there lack it", () => {
    const c = change(
      base,
      orders("      phone: { type: varchar(40), nullable: true }\n", "        phone: $.data.phone\n"),
    );
    expect(c.state).toBe("rebuild");
    expect(c.reasons).toContain("column phone added: its history is not filled");
  });

  it("a nullable column nothing writes, or a widened varchar, is additive (migrate is enough)", () => {
    expect(change(base, orders("      note: { type: varchar(40), nullable: true }\n")).state).toBe(
      "additive",
    );
    const wider = change(base, orders("", "", "$.data.items", "varchar(40)"));
    expect(wider).toMatchObject({
      state: "additive",
      reasons: ["column status widened from VARCHAR(20) to VARCHAR(40)"],
    });
    expect(change(base, orders("", "", "$.data.items", "varchar(10)")).state).toBe("rebuild");
  });

  it("a changed path is a rebuild of the table it writes, and only that one", () => {
    const moved = orders("", "", "$.data.lines");
    expect(change(base, moved, "order_items")).toMatchObject({
      state: "rebuild",
      reasons: ["the mapping of order.created (replace) changed"],
    });
    expect(change(base, moved, "orders").state).toBe("current");
  });
});

describe("planRebuild", () => {
  it("takes the named table's children along, parents first, into shadows", () => {
    const plan = planRebuild(spec, ["orders"], "mariadb", "s1");
    expect(plan.tables).toEqual(["orders", "order_items"]);
    expect(plan.topics).toEqual(["order"]);
    expect(plan.ddl[0]).toMatch(/^CREATE TABLE IF NOT EXISTS `orders__rebuild`/);
    expect(plan.ddl[1]).toMatch(/REFERENCES `orders__rebuild`/);
    // Only the rebuilt tables' actions, into the shadows.
    const tables = new Set([...plan.compiled.spec.events.values()].flat().map((a) => a.table));
    expect([...tables].sort()).toEqual(["order_items", "orders"]);
  });

  it("keeps a parent outside the set to read, and writes only the child", () => {
    const plan = planRebuild(spec, ["product_variants"], "mariadb", "s1");
    expect(plan.tables).toEqual(["product_variants"]);
    expect(plan.ddl[0]).toMatch(/REFERENCES `products`/);
    expect(new Set([...plan.compiled.spec.events.values()].flat().map((a) => a.table))).toEqual(
      new Set(["product_variants"]),
    );
  });

  it("gives the shadows' foreign keys names of their own each time", () => {
    const a = planRebuild(spec, ["orders"], "mariadb", "s1").ddl[1]!;
    const b = planRebuild(spec, ["orders"], "mariadb", "s2").ddl[1]!;
    const fk = (s: string) => /CONSTRAINT `(\w+)`/.exec(s)?.[1];
    expect(fk(a)).toMatch(/^fk_[0-9a-f]{10}_order_items$/);
    expect(fk(a)).not.toEqual(fk(b));
  });

  it("swaps every table in one RENAME TABLE, and says how to swap back", () => {
    const plan = planRebuild(spec, ["orders"], "mariadb", "s1");
    expect(swapSql(plan, new Set(["orders", "order_items"]))).toBe(
      "RENAME TABLE `orders` TO `orders__old`, `orders__rebuild` TO `orders`, `order_items` TO `order_items__old`, `order_items__rebuild` TO `order_items`",
    );
    expect(swapSql(plan, new Set())).toBe(
      "RENAME TABLE `orders__rebuild` TO `orders`, `order_items__rebuild` TO `order_items`",
    );
    expect(swapBackSql(plan)).toBe(
      "RENAME TABLE `orders` TO `orders__rebuild`, `orders__old` TO `orders`, `order_items` TO `order_items__rebuild`, `order_items__old` TO `order_items`",
    );
  });

  it("refuses the inner table of a nested replace alone, naming the table to rebuild", () => {
    const warehouses = loadSpecDirOrThrow(
      fileURLToPath(new URL("../../docs/cookbook/warehouses", import.meta.url)),
    );
    expect(() => planRebuild(warehouses, ["bins"], "mariadb", "s1")).toThrow(
      /bins is written by a replace nested under the replace of racks \(warehouse\.\w+\): rebuild racks, and bins is rebuilt with it/,
    );
    expect(planRebuild(warehouses, ["racks"], "mariadb", "s1").tables).toEqual(["racks", "bins"]);
  });

  it("rebuilds a counted table's __counted table with it, and swaps them together", () => {
    const loyalty = loadSpecDirOrThrow(
      fileURLToPath(new URL("../../docs/cookbook/loyalty", import.meta.url)),
    );
    const plan = planRebuild(loyalty, ["carts"], "mariadb", "s1");
    expect(plan.counted).toEqual(["cart_lines"]);
    expect(plan.ddl.at(-1)).toMatch(/^CREATE TABLE IF NOT EXISTS `cart_lines__rebuild__counted`/);
    expect(swapSql(plan, new Set(["carts", "cart_lines", "cart_lines__counted"]))).toBe(
      "RENAME TABLE `carts` TO `carts__old`, `carts__rebuild` TO `carts`, `cart_lines` TO `cart_lines__old`, `cart_lines__rebuild` TO `cart_lines`, `cart_lines__counted` TO `cart_lines__old__counted`, `cart_lines__rebuild__counted` TO `cart_lines__counted`",
    );
    // The carts' aggregates are kept from the shadow lines; a rebuild of the lines alone keeps none.
    expect([...plan.compiled.aggregates.keys()]).toEqual(["carts"]);
    expect(plan.compiled.aggregates.get("carts")![0]!.child.quoted).toBe("`cart_lines__rebuild`");
    expect([...planRebuild(loyalty, ["cart_lines"], "mariadb", "s1").compiled.aggregates.keys()]).toEqual([]);
  });

  it("refuses an unknown table, naming the tables there are", () => {
    expect(() => planRebuild(spec, ["order"], "mariadb", "s1")).toThrow(RebuildError);
    expect(() => planRebuild(spec, ["order"], "mariadb", "s1")).toThrow(
      /no table order in the specs \(tables: .*orders/,
    );
  });
});
