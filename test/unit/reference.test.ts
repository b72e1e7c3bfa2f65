import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { Reference } from "../../src/reference/interpreter.js";
import { loadSpecTexts } from "../helpers/specs.js";

/** The reference interpreter's semantics, one rule at a time (src/reference/interpreter.ts). */
const yaml = `tables:
  p:
    primary_key: [id]
    guard: ts
    unique: [[email]]
    stamp: { ts: $.timestamp }
    columns:
      id: { type: varchar(8) }
      email: { type: varchar(8), nullable: true }
      name: { type: varchar(8), nullable: true }
      created: { type: varchar(8), nullable: true }
      amount: { type: "decimal(6,2)", nullable: true }
      ts: { type: datetime(6) }
  c:
    parent: { table: p, columns: [id] }
    primary_key: [id, cid]
    columns: { id: { type: varchar(8) }, cid: { type: varchar(4) }, qty: { type: int, nullable: true } }
  g:
    parent: { table: c, columns: [id, cid] }
    primary_key: [id, cid, gid]
    columns: { id: { type: varchar(8) }, cid: { type: varchar(4) }, gid: { type: varchar(4) } }
events:
  p.created:
    - upsert: p
      columns: { id: $.entity_id, email: $.data.email, name: $.data.name, amount: $.data.amount, created: { path: $.data.created, keep_existing: true } }
    - replace: c
      where: { id: $.entity_id }
      for_each: $.data.items
      columns: { cid: "@.cid", qty: "@.qty" }
  p.renamed:
    - update: p
      where: { email: $.data.email }
      set: { name: $.data.name }
  p.deleted:
    - delete: p
      where: { id: $.entity_id }
  c.added:
    - upsert: c
      columns: { id: $.entity_id, cid: $.data.cid, qty: $.data.qty }
  g.set:
    - replace: g
      where: { id: $.entity_id, cid: $.data.cid }
      for_each: $.data.gs
      columns: { gid: "@" }
`;

const compiled = (() => {
  const { spec, issues } = loadSpecTexts([{ file: "ref.yaml", text: yaml }]);
  if (issues.length) throw new Error(issues.map((i) => i.message).join("\n"));
  return compile(spec);
})();

let n = 0;
function ev(type: string, id: string, ts: string, data: Record<string, unknown> = {}) {
  n++;
  return {
    value: JSON.stringify({
      event_type: type,
      event_id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
      timestamp: `2025-01-01T00:00:${ts}Z`,
      entity_id: id,
      data,
    }),
    position: `line ${n}`,
    source: "unit",
  };
}

const rows = (ref: Reference, table: string) =>
  (ref.tables().get(table) ?? [])
    .map((r) => ({ ...r }))
    .sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));

describe("the reference interpreter", () => {
  it("an older event changes nothing; keep_existing keeps the first value; the guard moves", () => {
    const ref = new Reference(compiled);
    ref.apply(ev("p.created", "A", "05", { name: "new", created: "first" }));
    expect(ref.apply(ev("p.created", "A", "01", { name: "old" })).stale).toEqual(["p"]);
    ref.apply(ev("p.created", "A", "06", { name: "newer", created: "second" }));
    expect(rows(ref, "p")).toMatchObject([
      { id: "A", name: "newer", created: "first", ts: "2025-01-01 00:00:06.000000" },
    ]);
  });

  it("an event taking another row's unique value is rejected whole: its earlier writes are undone", () => {
    const ref = new Reference(compiled);
    ref.apply(ev("p.created", "A", "01", { email: "x", items: [{ cid: "c1" }] }));
    const o = ref.apply(ev("p.created", "B", "02", { email: "x", items: [{ cid: "c9" }] }));
    expect(o.kind).toBe("failed");
    expect(o.reason).toContain("unique key (email)");
    expect(rows(ref, "p").map((r) => r.id)).toEqual(["A"]);
    expect(rows(ref, "c").map((r) => r.cid)).toEqual(["c1"]);
    expect(ref.letters().map((l) => l.kind)).toEqual(["failed"]);
  });

  it('NULL in a unique key equals nothing, and the string "null" is another value', () => {
    const ref = new Reference(compiled);
    for (const [id, email] of [
      ["A", null],
      ["B", null],
      ["C", "null"],
    ] as const)
      expect(ref.apply(ev("p.created", id, "01", { email })).kind).toBe("applied");
    expect(rows(ref, "p")).toHaveLength(3);
  });

  it("a child row before its parent waits as an unmatched letter, and heals right after the parent's create", () => {
    const ref = new Reference(compiled);
    expect(ref.apply(ev("c.added", "A", "01", { cid: "c1" })).kind).toBe("unmatched");
    expect(ref.letters().map((l) => [l.kind, l.reason])).toEqual([
      ["unmatched", expect.stringContaining("no p row id")],
    ]);
    ref.apply(ev("p.created", "A", "02", { items: [{ cid: "c2", qty: 1 }] }));
    // Applied after the create's replace: as if it had come after it.
    expect(rows(ref, "c")).toEqual([
      { id: "A", cid: "c2", qty: 1 },
      { id: "A", cid: "c1", qty: null },
    ]);
    expect(ref.letters()).toEqual([]);
    expect(ref.summary().healed).toBe(1);
    // The parent's next replace owns the set again.
    ref.apply(ev("p.created", "A", "03", { items: [{ cid: "c3", qty: 2 }] }));
    expect(rows(ref, "c")).toEqual([{ id: "A", cid: "c3", qty: 2 }]);
  });

  it("a delete cascades two levels down and leaves a tombstone an older create cannot pass", () => {
    const ref = new Reference(compiled);
    ref.apply(ev("p.created", "A", "01", { items: [{ cid: "c1" }] }));
    ref.apply(ev("g.set", "A", "01", { cid: "c1", gs: ["g1", "g2"] }));
    expect(rows(ref, "g")).toHaveLength(2);
    ref.apply(ev("p.deleted", "A", "05"));
    expect([rows(ref, "p"), rows(ref, "c"), rows(ref, "g")]).toEqual([[], [], []]);
    expect(ref.apply(ev("p.created", "A", "03")).stale).toEqual(["p"]);
    expect(ref.apply(ev("p.created", "A", "07")).kind).toBe("applied");
  });

  it("an update by a unique key finds the row that holds it now", () => {
    const ref = new Reference(compiled);
    ref.apply(ev("p.created", "A", "01", { email: "x" }));
    ref.apply(ev("p.created", "A", "02", { email: "y" }));
    ref.apply(ev("p.created", "B", "02", { email: "x" }));
    ref.apply(ev("p.renamed", "-", "03", { email: "x", name: "bee" }));
    expect(rows(ref, "p").map((r) => [r.id, r.name])).toEqual([
      ["A", null],
      ["B", "bee"],
    ]);
  });

  it("two elements that are the same child row reject the event", () => {
    const ref = new Reference(compiled);
    const o = ref.apply(ev("p.created", "A", "01", { items: [{ cid: "c1" }, { cid: "c1" }] }));
    expect(o.kind).toBe("failed");
    expect(rows(ref, "p")).toEqual([]);
  });

  it("keys compare as the database compares them: 1.5 and 1.50 are one decimal", () => {
    const ref = new Reference(compiled);
    ref.apply(ev("p.created", "A", "01", { amount: "1.5" }));
    expect(rows(ref, "p")[0]!.amount).toBe("1.50");
  });
});
