import { describe, expect, it } from "vitest";
import { Reference } from "../../src/reference/interpreter.js";
import { decideBatch, waitKeys } from "../../src/run/decide.js";
import { BatchHealer, compareLetters, letterPlace, WaitIndex } from "../../src/run/heal.js";
import { mappedEvents, prepareRecord } from "../../src/run/prepare.js";
import { RowState } from "../../src/run/row-state.js";
import { recordMaker } from "../helpers/records.js";
import { compileSpecText } from "../helpers/specs.js";

/** Early events that heal: the reference's order of healing, and the planner's, on one batch. */
const yaml = `tables:
  shops:
    primary_key: [shop_id]
    guard: ts
    stamp: { ts: $.timestamp }
    columns:
      shop_id: { type: varchar(8) }
      name: { type: varchar(20), nullable: true }
      code: { type: varchar(8), nullable: true }
      note: { type: varchar(40), nullable: true }
      ts: { type: datetime(6) }
    unique: [[code]]
  shelves:
    parent: { table: shops, columns: [shop_id] }
    primary_key: [shop_id, shelf_id]
    columns:
      shop_id: { type: varchar(8) }
      shelf_id: { type: varchar(8) }
      label: { type: varchar(20), nullable: true }
events:
  shop.opened:
    - upsert: shops
      columns: { shop_id: $.entity_id, name: $.data.name, code: $.data.code }
  shop.noted:
    - update: shops
      where: { shop_id: $.entity_id }
      stamp: false
      set: { note: $.data.note }
  shop.noted_by_code:
    - update: shops
      where: { code: $.data.code }
      stamp: false
      set: { note: $.data.note }
  shelf.added:
    - upsert: shelves
      columns: { shop_id: $.entity_id, shelf_id: $.data.shelf, label: $.data.label }
  shelf.labelled:
    - update: shelves
      where: { shop_id: $.entity_id, shelf_id: $.data.shelf }
      set: { label: $.data.label }
`;

const compiled = () => compileSpecText(yaml, "h.yaml");

const record = recordMaker("h", "unit.jsonl", true);
const ev = (type: string, entity: string, second: number, data: Record<string, unknown> = {}) =>
  record({ type, entity, timestamp: `2025-07-01T10:00:${String(second).padStart(2, "0")}Z`, data });

describe("early events that heal, in the reference interpreter", () => {
  it("heals the letters a new row waits on in letter order, each followed by what its rows heal", () => {
    record.reset();
    const ref = new Reference(compiled());
    // Waiting: a label for a shelf (waits on the shelf), the shelf (waits on the shop), two notes.
    expect(ref.apply(ev("shelf.labelled", "S", 1, { shelf: "a", label: "tea" })).kind).toBe("unmatched");
    expect(ref.apply(ev("shop.noted", "S", 2, { note: "first" })).kind).toBe("unmatched");
    expect(ref.apply(ev("shelf.added", "S", 3, { shelf: "a", label: "mugs" })).kind).toBe("unmatched");
    expect(ref.apply(ev("shop.noted", "S", 4, { note: "second" })).kind).toBe("unmatched");
    // By a unique key: not healed, it waits for a retry.
    expect(ref.apply(ev("shop.noted_by_code", "x", 5, { code: "C1", note: "by code" })).kind).toBe(
      "unmatched",
    );
    expect(ref.letters()).toHaveLength(5);
    const opened = ref.apply(ev("shop.opened", "S", 6, { name: "Corner", code: "C1" }));
    // The shop's own upsert, then in letter order: note 2, the shelf (whose new row heals the
    // label right after it), note 4.
    expect(opened.ops.map((o) => o.action.eventType)).toEqual(["shop.opened"]);
    expect(opened.healed?.map((o) => o.action.eventType)).toEqual([
      "shop.noted",
      "shelf.added",
      "shelf.labelled",
      "shop.noted",
    ]);
    expect(ref.row("shops", ["S"])).toMatchObject({ note: "second", name: "Corner" });
    expect(ref.row("shelves", ["S", "a"])).toMatchObject({ label: "tea" });
    expect(ref.letters().map((l) => l.eventType)).toEqual(["shop.noted_by_code"]);
    expect(ref.summary().healed).toBe(4);
    // A letter waits on the rows its actions look up: here, the shop.
    const shelf = prepareRecord(compiled(), ev("shelf.added", "T", 7, { shelf: "b" }), false);
    expect(shelf.kind === "event" && waitKeys(shelf.ops)).toEqual(["shops|T"]);
  });

  it("a letter newer than the create that heals it applies after it, as if it had come then", () => {
    record.reset();
    const ref = new Reference(compiled());
    // A note stamped later than the shop's create: healed right after it.
    ref.apply(ev("shop.noted", "S", 9, { note: "late note" }));
    ref.apply(ev("shop.opened", "S", 5, { name: "Corner" }));
    // stamp: false: the note applies whatever its age, once the shop is there.
    expect(ref.row("shops", ["S"])).toMatchObject({ note: "late note" });
    expect(ref.letters()).toEqual([]);
  });
});

describe("early events that heal, in the planner", () => {
  it("decides the healed letters right after the event that creates their row, as the reference applies them", () => {
    record.reset();
    const c = compiled();
    const records = [
      ev("shelf.labelled", "S", 1, { shelf: "a", label: "tea" }),
      ev("shop.noted", "S", 2, { note: "first" }),
      ev("shelf.added", "S", 3, { shelf: "a", label: "mugs" }),
      ev("shop.opened", "S", 6, { name: "Corner" }),
      ev("shop.noted", "S", 7, { note: "after" }),
    ];
    const live = records.map((r) => prepareRecord(c, r, false));
    const events = mappedEvents(live);
    const healer = new BatchHealer(new WaitIndex(), live, new Map());
    const d = decideBatch(events, c, new RowState(), healer);
    expect(d.order.map((e) => `${e.index}:${e.eventType}`)).toEqual([
      "0:shelf.labelled",
      "1:shop.noted",
      "2:shelf.added",
      "3:shop.opened",
      "1:shop.noted",
      "2:shelf.added",
      "0:shelf.labelled",
      "4:shop.noted",
    ]);
    expect(d.healed).toEqual([false, false, false, false, true, true, true, false]);
    expect(d.results.map((r) => (r.keep ? "waits" : "done"))).toEqual([
      "waits",
      "waits",
      "waits",
      "done",
      "done",
      "done",
      "done",
      "done",
    ]);
    // Every letter healed: nothing waits after the batch.
    expect([...healer.settled.values()].every((s) => s.keys === undefined)).toBe(true);
    const ref = new Reference(c);
    for (const r of records) ref.apply(r);
    expect(ref.letters()).toEqual([]);
  });

  it("orders letters by source, then partition, then offset or line", () => {
    const place = (source: string, partition: number, offset: number) =>
      letterPlace({
        value: Buffer.from("{}"),
        source,
        position: `${partition}:${offset}`,
        kafka: { topic: source, partition, offset: String(offset), key: null, timestamp: "0" },
      } as never);
    const sorted = [place("b", 0, 1), place("a", 1, 0), place("a", 0, 10), place("a", 0, 9)].sort(
      compareLetters,
    );
    expect(sorted.map((p) => p.id.replace("\u0000", " "))).toEqual(["a 0:9", "a 0:10", "a 1:0", "b 0:1"]);
  });
});
