import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { type MappedOp, mapEvent } from "../../src/compile/map-event.js";
import { decideBatch } from "../../src/run/decide.js";
import { buildStatements } from "../../src/run/group-statements.js";
import { RowState } from "../../src/run/row-state.js";
import { loadSpecDir } from "../helpers/specs.js";

const plan = compile(loadSpecDir("projections").spec);
const created = JSON.parse(
  readFileSync(new URL("../fixtures/events/examples.jsonl", import.meta.url), "utf8")
    .split("\n")
    .find((l) => l.includes('"order.created"'))!,
);

function order(id: string, number: string, ts: string, selective = false) {
  const e = structuredClone(created);
  e.entity_id = id;
  e.timestamp = ts;
  e.data.order_number = number;
  if (selective) delete e.data.promotion_id; // another column set: another statement shape
  return mapEvent(plan.events.get("order.created")!, e) as MappedOp[];
}

describe("unique keys and statement order", () => {
  it("an order taking an order_number another order gives up in the same batch is inserted after it", () => {
    const r1 = "65a1f00000000000000009a1";
    const r2 = "65a1f00000000000000009a2";
    const r3 = "65a1f00000000000000009a3";
    const state = new RowState();
    // r2 exists and holds ORD-X.
    state.write(
      plan.tableByName.get("orders")!.spec,
      r2,
      "2025-01-01 00:00:00.000000",
      new Map([["order_number", "ORD-X"]]),
    );
    const events = [
      { index: 0, eventType: "order.created", ops: order(r3, "ORD-Z", "2025-01-02T00:00:00Z") },
      { index: 1, eventType: "order.created", ops: order(r2, "ORD-Y", "2025-01-02T00:00:01Z", true) },
      { index: 2, eventType: "order.created", ops: order(r1, "ORD-X", "2025-01-02T00:00:02Z") },
    ];
    const decision = decideBatch(events, plan, state);
    expect(decision.results.map((r) => r.rejected)).toEqual([undefined, undefined, undefined]);
    const upserts = buildStatements(decision.ops, plan)
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => s.sql.startsWith("INSERT INTO `orders`"));
    const at = (id: string) => upserts.find(({ s }) => s.params.includes(id))!.i;
    // r1 has r3's shape but must not join r3's statement: it takes ORD-X only after r2 moved to ORD-Y.
    expect(at(r3)).toBeLessThan(at(r2));
    expect(at(r1)).toBeGreaterThan(at(r2));
  });
});
