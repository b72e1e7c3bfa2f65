import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { MapError, mapEvent } from "../../src/compile/map-event.js";
import { decideBatch, type MappedEvent } from "../../src/run/decide.js";
import { decodeEnvelope, EnvelopeError } from "../../src/run/decode.js";
import { buildStatements } from "../../src/run/group-statements.js";
import { RowState } from "../../src/run/row-state.js";
import { loadSpecTexts } from "../helpers/specs.js";

// A composite primary key listed in another order by the delete's `where`, a unique code, an
// integer version as the guard.
const { spec, issues } = loadSpecTexts([
  {
    file: "items.yaml",
    text: [
      "tables:",
      "  items:",
      "    primary_key: [shop_id, item_id]",
      "    unique: [[code]]",
      "    guard: version",
      "    stamp: { version: $.data.version }",
      "    columns:",
      "      shop_id: { type: varchar(10) }",
      "      item_id: { type: varchar(10) }",
      "      code: { type: varchar(10), nullable: true }",
      "      version: { type: int }",
      "events:",
      "  item.saved:",
      "    - upsert: items",
      "      columns:",
      "        shop_id: $.data.shop",
      "        item_id: $.entity_id",
      "        code: $.data.code",
      "  item.deleted:",
      "    - delete: items",
      "      where: { item_id: $.entity_id, shop_id: $.data.shop }",
    ].join("\n"),
  },
]);
if (!spec || issues.length > 0) throw new Error(JSON.stringify(issues));
const plan = compile(spec);

let n = 0;
function event(type: string, item: string, version: number, code?: string): MappedEvent {
  n++;
  const envelope = decodeEnvelope(
    JSON.stringify({
      event_type: type,
      event_id: `00000000-0000-4000-9300-${String(n).padStart(12, "0")}`,
      timestamp: "2025-01-01T00:00:00Z",
      entity_id: item,
      data: { shop: "s1", version, ...(code ? { code } : {}) },
    }),
  );
  if (envelope instanceof EnvelopeError) throw new Error(envelope.reason);
  const ops = mapEvent(plan.events.get(type)!, envelope);
  if (ops instanceof MapError) throw new Error(ops.reason);
  return { index: n, eventType: type, ops };
}

/** Decides the events one by one (as batches of one), carrying the state: what each event did. */
function decideEach(events: MappedEvent[], state = new RowState()) {
  return events.map((e) => {
    const d = decideBatch([e], plan, state);
    const r = d.results[0]!;
    return {
      outcome: r.rejected
        ? "rejected"
        : r.stale.length
          ? "stale"
          : r.unmatched.length
            ? "unmatched"
            : "applied",
      statements: buildStatements(d.ops, plan).map((s) => s.sql.split(" ").slice(0, 3).join(" ")),
    };
  });
}

describe("tombstones (planner)", () => {
  it("a delete whose where lists the key in another order finds the row and leaves a tombstone", () => {
    expect(
      decideEach([
        event("item.saved", "i1", 1),
        event("item.deleted", "i1", 3),
        event("item.saved", "i1", 2),
      ]),
    ).toEqual([
      { outcome: "applied", statements: ["INSERT INTO `items`"] },
      { outcome: "applied", statements: ["DELETE t FROM", "INSERT INTO `projector_tombstones`"] },
      { outcome: "stale", statements: [] },
    ]);
  });

  it("a delete that finds no row still leaves one (it came first); only a newer one moves it", () => {
    expect(
      decideEach([
        event("item.deleted", "i2", 3),
        event("item.saved", "i2", 1),
        event("item.deleted", "i2", 2), // older than the tombstone: nothing to write
        event("item.deleted", "i2", 7),
        event("item.saved", "i2", 5),
        event("item.saved", "i2", 8),
      ]),
    ).toEqual([
      { outcome: "unmatched", statements: ["INSERT INTO `projector_tombstones`"] },
      { outcome: "stale", statements: [] },
      { outcome: "unmatched", statements: [] },
      { outcome: "unmatched", statements: ["INSERT INTO `projector_tombstones`"] },
      { outcome: "stale", statements: [] },
      { outcome: "applied", statements: ["INSERT INTO `items`"] },
    ]);
  });

  it("an upsert older than its row's deletion is stale, not rejected for a unique value another row took since", () => {
    expect(
      decideEach([
        event("item.saved", "u1", 1, "c1"),
        event("item.deleted", "u1", 3),
        event("item.saved", "u2", 4, "c1"),
        event("item.saved", "u1", 2, "c1"),
      ]).map((r) => r.outcome),
    ).toEqual(["applied", "applied", "applied", "stale"]);
  });

  it("the same in one batch as event by event", () => {
    const events = [
      event("item.deleted", "i3", 3),
      event("item.saved", "i3", 1),
      event("item.deleted", "i3", 7),
      event("item.saved", "i3", 5),
    ];
    const d = decideBatch(events, plan, new RowState());
    expect(
      d.results.map((r) => (r.stale.length ? "stale" : r.unmatched.length ? "unmatched" : "applied")),
    ).toEqual(["unmatched", "stale", "unmatched", "stale"]);
    const tomb = buildStatements(d.ops, plan).find((s) => s.sql.includes("projector_tombstones"))!;
    // Both tombstone rows of the key, in order: the later (newer) one is what stays.
    expect(tomb.params.filter((_, i) => i % 4 === 3)).toEqual(["3", "7"]);
  });
});
