import { expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { MapError, type MappedOp, mapEvent } from "../../src/compile/map-event.js";
import { updateShape, updateStatement } from "../../src/compile/statements.js";
import { loadSpecTexts } from "../helpers/specs.js";

/**
 * Two update actions whose statements have the same text share one multi-row UPDATE; each binds
 * its own values. Found by a review: the second action's values were read at the first action's
 * indexes, so a status became the text "Symbol(absent)", or a reason NULL, with no error.
 */
const { spec, issues } = loadSpecTexts([
  {
    file: "o.yaml",
    text: `tables:
  orders:
    primary_key: [id]
    columns: { id: { type: varchar(10) }, status: { type: varchar(20), nullable: true }, reason: { type: varchar(20), nullable: true }, note: { type: varchar(20), nullable: true } }
events:
  o.a:
    - update: orders
      where: { id: $.entity_id }
      set: { status: $.data.status, reason: $.data.reason }
  o.b:
    - update: orders
      where: { id: $.entity_id }
      set: { note: $.data.note, status: $.data.status, reason: $.data.reason }
`,
  },
]);
const plan = compile(spec);
const op = (type: string, id: string, data: object): MappedOp => {
  const ops = mapEvent(plan.events.get(type)!, {
    event_type: type,
    event_id: "e",
    timestamp: "2025-01-01T00:00:00Z",
    entity_id: id,
    data,
  });
  if (ops instanceof MapError) throw new Error(ops.reason);
  return ops[0]!;
};

it("binds each action's own values in a shared UPDATE … JOIN, whichever comes first", () => {
  expect(issues).toEqual([]);
  const a = op("o.a", "o1", { status: "s1", reason: "r1" });
  const b = op("o.b", "o2", { status: "s2", reason: "r2" }); // note absent
  const shapeA = updateShape(a.action, a.signature);
  const shapeB = updateShape(b.action, b.signature);
  expect(shapeB.key).toBe(shapeA.key); // one statement text: they share a statement
  expect(updateStatement(shapeA, [a, b]).params).toEqual(["o1", "s1", "r1", "o2", "s2", "r2"]);
  expect(updateStatement(shapeB, [b, a]).params).toEqual(["o2", "s2", "r2", "o1", "s1", "r1"]);
});
