import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type CompiledSpec, compile } from "../../src/compile/compile.js";
import { MAX_EVENT_VALUES, MapError, type MappedOp, mapEvent } from "../../src/compile/map-event.js";
import type { SourceRecord } from "../../src/core/source-record.js";
import { cut, excerpt } from "../../src/core/text.js";
import { checkExamples } from "../../src/examples/check-examples.js";
import { deadLetterStatements, letterFor, MAX_REASON_CHARS } from "../../src/run/dead-letters.js";
import { prepareRecord } from "../../src/run/prepare.js";
import { loadSpecDir, loadSpecTexts } from "../helpers/specs.js";

/**
 * One event costs bounded work and memory, and whatever its mapping does, it ends as rows or as its
 * own letter with a bounded reason: never an exception out of the pure stage (a crash a restarted
 * run would meet again on the same record).
 */

const SPEC = `tables:
  bags:
    primary_key: [bag_id]
    guard: event_timestamp
    columns:
      bag_id: { type: varchar(24) }
      label: { type: varchar(50), nullable: true }
      event_timestamp: { type: datetime(6) }
  bag_items:
    parent: { table: bags, columns: [bag_id] }
    primary_key: [bag_id, position]
    columns:
      bag_id: { type: varchar(24) }
      position: { type: int }
      v: { type: varchar(20), nullable: true }
events:
  bag.filled:
    - upsert: bags
      columns: { bag_id: $.entity_id, label: $.data.label, event_timestamp: $.data.at }
    - replace: bag_items
      where: { bag_id: $.entity_id }
      for_each: $.data.items
      columns: { position: "@position", v: "@" }
`;

function compiled(): CompiledSpec {
  const { spec, issues } = loadSpecTexts([{ file: "bags.yaml", text: SPEC }]);
  expect(issues).toEqual([]);
  return compile(spec);
}

const envelope = (data: Record<string, unknown>) => ({
  event_type: "bag.filled",
  event_id: "e1",
  timestamp: "2025-01-01T00:00:00Z",
  entity_id: "b1",
  data: { at: "2025-01-01T00:00:00Z", ...data },
});

const record = (value: string): SourceRecord => ({
  value,
  source: "test.jsonl",
  position: "line 1",
  line: 1,
});

describe("the values an event maps to are bounded", () => {
  const plan = compiled();
  const actions = plan.events.get("bag.filled")!;

  it("an array of 2 million elements is refused before a row of it is mapped, naming the limit", () => {
    const items = new Array(2_050_000).fill(1);
    const started = performance.now();
    const r = mapEvent(actions, envelope({ items }));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(r).toBeInstanceOf(MapError);
    expect((r as MapError).reason).toBe(
      `bag_items: for_each $.data.items has 2050000 elements, 6150000 values with the 3 columns of each row: over the limit of ${MAX_EVENT_VALUES} values an event may map to`,
    );
  });

  it("so is an object map of as many keys; up to the limit, every row is mapped", () => {
    const map = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i]));
    expect((mapEvent(actions, envelope({ items: map })) as MapError).reason).toMatch(
      /^bag_items: for_each \$\.data\.items has 200000 elements, 600000 values/,
    );
    // Rows of 3 values (bag_id, position, v): a third of the limit fits.
    const fits = Math.floor(MAX_EVENT_VALUES / 3);
    const ok = mapEvent(actions, envelope({ items: new Array(fits).fill(1) }));
    expect(ok).not.toBeInstanceOf(MapError);
    expect((ok as MappedOp[])[1]!.rows).toHaveLength(fits);
    expect(mapEvent(actions, envelope({ items: new Array(fits + 1).fill(1) }))).toBeInstanceOf(MapError);
  });

  it("a null guard says it is the guard (not part of the key); a null key says it is the key", () => {
    expect((mapEvent(actions, envelope({ at: null, items: [] })) as MapError).reason).toBe(
      "bags.event_timestamp ← $.data.at: is null (it is the table's guard)",
    );
    expect((mapEvent(actions, { ...envelope({ items: [] }), entity_id: null }) as MapError).reason).toBe(
      "bags.bag_id ← $.entity_id: is null (it is part of the key)",
    );
  });

  it("an element's key is quoted cut short in the reason", () => {
    const key = "k".repeat(10_000);
    const r = mapEvent(actions, envelope({ items: { [key]: { too: "deep" } } })) as MapError;
    expect(r.reason.length).toBeLessThan(300);
    expect(r.reason).toContain("10000 characters, cut");
  });
});

describe("an exception while decoding or mapping one event is its letter", () => {
  it("a column whose getter throws: a failed letter with the error's message, the type kept", () => {
    const plan = compiled();
    const label = plan.events.get("bag.filled")![0]!.columns.find((c) => c.name === "label")!;
    (label as { get: unknown }).get = () => {
      throw new RangeError("Invalid string length");
    };
    const p = prepareRecord(plan, record(JSON.stringify(envelope({ items: [] }))), false);
    expect(p.kind).toBe("dead");
    if (p.kind !== "dead") return;
    expect(p.letter.kind).toBe("failed");
    expect(p.letter.reason).toBe("bags.label ← $.data.label: RangeError: Invalid string length");
    expect(p.eventType).toBe("bag.filled");
  });

  it("a condition or a for_each path that throws: the same", () => {
    const plan = compiled();
    const replace = plan.events.get("bag.filled")![1]!;
    (replace as { forEach: unknown }).forEach = () => {
      throw new TypeError("boom");
    };
    const p = prepareRecord(plan, record(JSON.stringify(envelope({ items: [] }))), false);
    expect(p.kind === "dead" && p.letter.reason).toBe("mapping the event failed: TypeError: boom");
  });

  it("whatever throws in the pure stage (here: routing) is the record's letter, the stream goes on", () => {
    const plan = compiled();
    const events = plan.events as Map<string, unknown>;
    const get = events.get.bind(events);
    (events as { get: unknown }).get = (t: string) => {
      if (t === "bag.filled") throw new Error("a bug in the engine's pure code");
      return get(t);
    };
    const p = prepareRecord(plan, record(JSON.stringify(envelope({ items: [] }))), false);
    expect(p.kind).toBe("dead");
    if (p.kind !== "dead") return;
    expect(p.letter.reason).toBe(
      "decoding or mapping the event threw Error: a bug in the engine's pure code",
    );
    expect(p.eventType).toBe("bag.filled");
    expect(p.letter.eventId).toBe("e1");
  });
});

describe("projector test meets a throwing mapping as the runtime does", () => {
  it("an example whose event type's `when` throws fails with the reason, it does not crash", () => {
    const { spec, issues } = loadSpecDir(fileURLToPath(new URL("../fixtures/hostile", import.meta.url)));
    expect(issues).toEqual([]);
    const plan = compile(spec);
    (plan.events.get("bag.filled") as { when?: unknown }).when = () => {
      throw new RangeError("Maximum call stack size exceeded");
    };
    const [result] = checkExamples(plan);
    // Examples run on the reference interpreter, which maps with the runtime's own code (prepare.ts).
    expect(result!.failures.join("\n")).toContain(
      "event is rejected: decoding or mapping the event threw RangeError: Maximum call stack size exceeded",
    );
  });
});

describe("reasons are bounded", () => {
  it("cut in the middle, with a marker saying how long they were, on whole characters", () => {
    expect(cut("short", 10)).toBe("short");
    const long = `${"a".repeat(5000)}THE END`;
    const c = cut(long, 100);
    expect(c.length).toBeLessThanOrEqual(100);
    expect(c).toMatch(/^a+ …\[5007 characters, cut\]… a+THE END$/);
    // A surrogate pair is never split at the cut.
    const emoji = "😀".repeat(100);
    for (let max = 30; max < 60; max++) expect(cut(emoji, max).isWellFormed(), String(max)).toBe(true);
    expect(excerpt("x".repeat(1000)).length).toBeLessThanOrEqual(60);
  });

  it("a letter keeps at most MAX_REASON_CHARS of its reason, and 255 of its type and id", () => {
    const reason = `t.c ← $.data.x: ${"9".repeat(70_000)} has more than 2 decimal places`;
    const l = letterFor(record("{}"), reason, "i".repeat(300), "t".repeat(300));
    expect(l.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(l.reason).toMatch(
      /^t\.c ← \$\.data\.x: 9+ …\[\d+ characters, cut\]… 9+ has more than 2 decimal places$/,
    );
    expect(l.eventId!.length).toBeLessThanOrEqual(255);
    expect(l.eventType!.length).toBeLessThanOrEqual(255);
  });

  it("a letter always fits the packet: a reason can no longer push it over", () => {
    const l = letterFor(record("x".repeat(100_000)), "r".repeat(1_000_000), "e", "t");
    const [s, ...rest] = deadLetterStatements([l], 64 << 10, 64 << 10, "mariadb");
    expect(rest).toEqual([]);
    const bytes = s!.sql.length + s!.params.reduce<number>((n, p) => n + String(p ?? "").length, 0);
    expect(bytes).toBeLessThan(64 << 10);
  });
});
