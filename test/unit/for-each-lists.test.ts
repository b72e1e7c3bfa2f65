import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { MapError, type MappedOp, mapEvent } from "../../src/compile/map-event.js";
import { loadSpecTexts } from "../helpers/specs.js";

/**
 * A for_each that selects several values (issue 27: `$.data.racks[*].bins[*]`) and nested replaces
 * map to rows the same way whatever the number of matches: one match is a list of one (it used to
 * be iterated field by field), none is an empty list (the old rows go).
 */
const SPEC = `tables:
  w: { primary_key: [id], columns: { id: { type: varchar(10) } } }
  flat:
    parent: { table: w, columns: [id] }
    primary_key: [id, n]
    columns: { id: { type: varchar(10) }, n: { type: int }, sku: { type: varchar(10), nullable: true } }
  racks:
    parent: { table: w, columns: [id] }
    primary_key: [id, rack]
    columns: { id: { type: varchar(10) }, rack: { type: varchar(10) } }
  bins:
    parent: { table: racks, columns: [id, rack] }
    primary_key: [id, rack, n]
    columns: { id: { type: varchar(10) }, rack: { type: varchar(10) }, n: { type: int }, sku: { type: varchar(10), nullable: true } }
events:
  w.stocked:
    - upsert: w
      columns: { id: $.entity_id }
    - replace: flat
      where: { id: $.entity_id }
      for_each: "$.data.racks[*].bins[*]"
      columns: { n: "@position", sku: "@.sku" }
    - replace: racks
      where: { id: $.entity_id }
      for_each: $.data.racks
      columns: { rack: "@.rack" }
      children:
        - replace: bins
          for_each: "@.bins"
          columns: { n: "@position", sku: "@.sku" }
`;

const { spec, issues } = loadSpecTexts([{ file: "w.yaml", text: SPEC }]);
const plan = compile(spec);
const map = (data: unknown): MappedOp[] => {
  const ops = mapEvent(plan.events.get("w.stocked")!, {
    event_type: "w.stocked",
    event_id: "e1",
    timestamp: "2025-01-01T00:00:00Z",
    entity_id: "w1",
    data,
  });
  if (ops instanceof MapError) throw new Error(ops.reason);
  return ops;
};
const rowsOf = (ops: MappedOp[], table: string) =>
  ops.filter((o) => o.action.table.name === table).map((o) => ({ where: o.where, rows: o.rows }));

describe("for_each over several values, and nested replaces", () => {
  it("loads", () => expect(issues).toEqual([]));

  it("one bin in one rack is one row, not the bin's fields", () => {
    const ops = map({ racks: [{ rack: "R1", bins: [{ sku: "X" }] }] });
    expect(rowsOf(ops, "flat")).toEqual([{ where: ["w1"], rows: [[1, "X"]] }]);
    expect(rowsOf(ops, "bins")).toEqual([{ where: ["w1", "R1"], rows: [[1, "X"]] }]);
  });

  it("no bins at all is an empty replace (the old rows go), racks without bins replace none", () => {
    const ops = map({ racks: [{ rack: "R1", bins: [] }, { rack: "R2" }] });
    expect(rowsOf(ops, "flat")).toEqual([{ where: ["w1"], rows: [] }]);
    expect(rowsOf(ops, "racks")).toEqual([{ where: ["w1"], rows: [["R1"], ["R2"]] }]);
    expect(rowsOf(ops, "bins")).toEqual([{ where: ["w1", "R1"], rows: [] }]);
  });

  it("nested rows follow their rack, in order, with the rack's key; the flat list loses it", () => {
    const ops = map({
      racks: [
        { rack: "R1", bins: [{ sku: "A" }, { sku: "B" }] },
        { rack: "R2", bins: [{ sku: "C" }] },
      ],
    });
    expect(ops.map((o) => o.action.table.name)).toEqual(["w", "flat", "racks", "bins", "bins"]);
    expect(rowsOf(ops, "flat")).toEqual([
      {
        where: ["w1"],
        rows: [
          [1, "A"],
          [2, "B"],
          [3, "C"],
        ],
      },
    ]);
    expect(rowsOf(ops, "bins")).toEqual([
      {
        where: ["w1", "R1"],
        rows: [
          [1, "A"],
          [2, "B"],
        ],
      },
      { where: ["w1", "R2"], rows: [[1, "C"]] },
    ]);
  });

  it("an event without the racks leaves every level alone", () => {
    expect(map({}).map((o) => o.action.table.name)).toEqual(["w"]);
  });
});
