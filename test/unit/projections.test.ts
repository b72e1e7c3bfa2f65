import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { checkExamples } from "../../src/examples/check-examples.js";
import { loadSpecDir } from "../helpers/specs.js";

describe("the shipped projections", () => {
  const { spec, issues } = loadSpecDir("projections");

  it("validate with no issues", () => {
    expect(issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`)).toEqual([]);
  });

  it("declare the 19 catalog tables and 44 event types", () => {
    expect([...spec.tables.keys()].sort()).toEqual(
      [
        "users",
        "user_logins",
        "user_events",
        "suppliers",
        "supplier_logins",
        "supplier_events",
        "products",
        "product_variants",
        "product_events",
        "orders",
        "order_items",
        "order_events",
        "posts",
        "post_events",
        "promotions",
        "promotion_events",
        "communities",
        "community_memberships",
        "community_events",
      ].sort(),
    );
    expect(spec.events.size).toBe(44);
  });

  it("pass every example they carry", () => {
    const results = checkExamples(compile(spec));
    expect(results.length).toBeGreaterThanOrEqual(5);
    expect(results.filter((r) => r.failures.length > 0).map((r) => [r.example.name, r.failures])).toEqual([]);
  });
});
