import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../../bench/src/lib/config.js";
import {
  CountingStream,
  compareTotals,
  expectedTableTotals,
  plainSpecText,
  REDELIVERY_SHARE,
  type TableTotals,
} from "../../bench/src/lib/counters.js";
import { COUNTERS_SPECS } from "../../bench/src/lib/paths.js";
import { ratioRows } from "../../bench/src/lib/ratios.js";
import { counters } from "../../bench/src/stages/counters.js";
import { compile } from "../../src/compile/compile.js";
import { Reference } from "../../src/reference/interpreter.js";
import { loadSpecTexts } from "../helpers/specs.js";

const SPEC_FILE = join(COUNTERS_SPECS, "loyalty.yaml");
const countingText = readFileSync(SPEC_FILE, "utf8");

function compiled(text: string) {
  const { spec, issues } = loadSpecTexts([{ file: "loyalty.yaml", text }]);
  if (issues.length) throw new Error(issues.map((i) => i.message).join("\n"));
  return compile(spec);
}

function lines(count: number, seed: number): { lines: string[]; stream: CountingStream } {
  const stream = new CountingStream(count, seed);
  return { lines: [...stream].map((e) => JSON.stringify(e)), stream };
}

/** The tables' totals after applying the lines one at a time in the reference interpreter. */
function referenceTotals(text: string, stream: readonly string[]) {
  const ref = new Reference(compiled(text));
  stream.forEach((value, i) => {
    ref.apply({ value, position: `line ${i + 1}`, source: "counters.jsonl", line: i + 1 });
  });
  const tables = ref.tables();
  const rows = (t: string) => tables.get(t) ?? [];
  const sum = (t: string, c: string) => rows(t).reduce((a, r) => a + Number(r[c] ?? 0), 0);
  return {
    summary: ref.summary(),
    letters: ref.letters(),
    members: rows("loyalty_accounts").length,
    carts: rows("carts").length,
    cart_lines: rows("cart_lines").length,
    points: sum("loyalty_accounts", "points"),
    renewals: sum("loyalty_accounts", "renewals"),
    largest_order_cents: Math.round(sum("loyalty_accounts", "largest_order") * 100),
    quantity: sum("cart_lines", "quantity"),
  };
}

describe("bench counters stage: the stream", () => {
  it("is a pure function of (count, seed)", () => {
    const a = lines(3000, 42);
    const b = lines(3000, 42);
    expect(b.lines).toEqual(a.lines);
    expect(b.stream.totals).toEqual(a.stream.totals);
    expect(lines(3000, 43).lines).not.toEqual(a.lines);
    // Iterating again gives the same lines and fills the totals anew (not twice).
    expect([...a.stream].map((e) => JSON.stringify(e))).toEqual(a.lines);
    expect(a.stream.totals).toEqual(b.stream.totals);
    expect(a.lines).toHaveLength(3000);
  });

  it("delivers about 3 % of its lines again: an earlier line, the same event_id", () => {
    const { lines: ls, stream } = lines(20_000, 7);
    const seen = new Map<string, string>();
    let again = 0;
    for (const l of ls) {
      const id = (JSON.parse(l) as { event_id: string }).event_id;
      const first = seen.get(id);
      if (first === undefined) seen.set(id, l);
      else {
        again++;
        expect(l).toBe(first);
      }
    }
    const t = stream.totals;
    expect(again).toBe(t.redelivered);
    expect(seen.size).toBe(t.events - t.redelivered);
    expect(Object.values(t.by_type).reduce((a, b) => a + b, 0)).toBe(seen.size);
    expect(t.redelivered / t.events).toBeGreaterThan(REDELIVERY_SHARE - 0.005);
    expect(t.redelivered / t.events).toBeLessThan(REDELIVERY_SHARE + 0.005);
  });

  it("has a realistic key space: a member per 10 events, a cart per 20, every type", () => {
    const t = lines(20_000, 42).stream.totals;
    expect(t.members).toBeGreaterThan(1600);
    expect(t.members).toBeLessThanOrEqual(2000);
    expect(t.carts).toBeGreaterThan(800);
    expect(t.carts).toBeLessThanOrEqual(1000);
    for (const n of Object.values(t.by_type)) expect(n).toBeGreaterThan(0);
    // Lines added to again: fewer lines than adds.
    expect(t.cart_lines).toBeLessThan(t.by_type["cart.item_added"]);
    expect(t.counted).toEqual({
      loyalty_accounts:
        t.by_type["loyalty.points_earned"] +
        t.by_type["loyalty.points_redeemed"] +
        t.by_type["subscription.renewed"],
      cart_lines: t.by_type["cart.item_added"] + t.by_type["cart.item_removed"],
    });
  });

  it("computes the totals the reference interpreter's tables hold under the counting specs", () => {
    const { lines: ls, stream } = lines(8000, 42);
    const ref = referenceTotals(countingText, ls);
    expect(ref.letters).toEqual([]);
    expect(ref.summary).toMatchObject({ applied: 8000, dead: 0, skipped: 0 });
    const { counted: _, ...expected } = expectedTableTotals(stream.totals);
    const { summary: _s, letters: _l, ...measured } = ref;
    expect(measured).toEqual(expected);
    // Counted once: applying every line as a new event would count the redeliveries too.
    expect(stream.totals.redelivered).toBeGreaterThan(0);
  });

  it("compares measured totals with the expected ones, naming each difference", () => {
    const expected: TableTotals = expectedTableTotals(lines(2000, 1).stream.totals);
    expect(compareTotals(expected, structuredClone(expected))).toEqual([]);
    const wrong = {
      ...expected,
      points: expected.points + 80,
      counted: { ...expected.counted, cart_lines: 3 },
    };
    expect(compareTotals(expected, wrong)).toEqual([
      `points: ${expected.points + 80} ≠ ${expected.points}`,
      `cart_lines__counted rows: 3 ≠ ${expected.counted.cart_lines}`,
    ]);
  });
});

describe("bench counters stage: the plain twin of the specs", () => {
  const plainText = plainSpecText(countingText);
  const counting = compiled(countingText);
  const plain = compiled(plainText);

  it("has no combine: left, and loads", () => {
    expect(countingText).toMatch(/combine: add/);
    const body = plainText.split("\n").filter((l) => !l.startsWith("#"));
    expect(body.join("\n")).not.toMatch(/combine|aggregate/);
    expect(plainText).toMatch(/^# Generated .* from bench\/counters\/loyalty\.yaml/);
    expect(() => plainSpecText("tables: {}\n")).toThrow(/no combine/);
  });

  it("has the same tables, event types, actions and paths; nothing counts", () => {
    const shape = (c: typeof counting) => ({
      tables: c.tables.map((t) => [t.name, t.ddl]),
      events: [...c.events].map(([type, actions]) => [
        type,
        actions.map((a) => [
          a.mode,
          a.table.name,
          a.columns.map((col) => col.name),
          a.where.map((w) => w.name),
        ]),
      ]),
    });
    expect(shape(plain)).toEqual(shape(counting));
    expect(counting.tables.filter((t) => t.counted).map((t) => t.name)).toEqual([
      "cart_lines",
      "loyalty_accounts",
    ]);
    expect(plain.tables.filter((t) => t.counted)).toEqual([]);
    const combines = (c: typeof counting) =>
      [...c.events.values()].flat().flatMap((a) => a.columns.map((col) => col.combine).filter(Boolean));
    expect(combines(counting).sort()).toEqual(["add", "add", "add", "max", "min", "subtract", "subtract"]);
    expect(combines(plain)).toEqual([]);
    // The counting specs keep the carts' totals from their lines; the plain ones keep nothing.
    expect(counting.aggregates.get("carts")?.map((c) => c.name)).toEqual([
      "line_count",
      "item_count",
      "total",
    ]);
    expect(plain.aggregates.size).toBe(0);
  });

  it("writes the same rows as the counting specs (its values differ)", () => {
    const { lines: ls } = lines(4000, 9);
    const c = referenceTotals(countingText, ls);
    const p = referenceTotals(plainText, ls);
    expect(p.letters).toEqual([]);
    expect([p.members, p.carts, p.cart_lines]).toEqual([c.members, c.carts, c.cart_lines]);
    expect(p.points).not.toBe(c.points);
  });
});

describe("bench counters stage: BENCH_COUNTERS_EVENTS and its ratio", () => {
  it("runs 200000 events by default; 0 skips the stage", () => {
    const stages = ["counters"];
    expect(readConfig({}, stages).counters_events).toBe(200_000);
    expect(readConfig({ BENCH_COUNTERS_EVENTS: "50_000" }, stages).counters_events).toBe(50_000);
    expect(counters.skip?.(readConfig({}, stages))).toBe(false);
    expect(counters.skip?.(readConfig({ BENCH_COUNTERS_EVENTS: "0" }, stages))).toBe(true);
    for (const raw of ["-1", "1.5", "abc"])
      expect(() => readConfig({ BENCH_COUNTERS_EVENTS: raw }, stages), raw).toThrow(ConfigError);
  });

  it("reports counting events/s against plain, without a target", () => {
    const config = readConfig({}, ["counters"]);
    const row = ratioRows(
      { counters: { status: "ok", events_per_second: 24_000, plain_events_per_second: 30_000 } },
      config,
    ).find((r) => r.key === "counters_vs_plain");
    expect(row).toMatchObject({ value: 0.8, info: true, pct: true, pass: undefined });
    expect(ratioRows({}, config).find((r) => r.key === "counters_vs_plain")?.value).toBeUndefined();
  });
});
