import { describe, expect, it } from "vitest";
import {
  remember,
  renderFrame,
  sparkline,
  TREND_SAMPLES,
  type WatchHistory,
} from "../../src/cli/status-watch.js";
import { fitWidth } from "../../src/cli/terminal-text.js";
import { forTerminal } from "../../src/core/terminal.js";
import type { WatchSample } from "../../src/jobs/status.js";

const head = { group: "projector", database: "shop", intervalSeconds: 2, width: Number.POSITIVE_INFINITY };

function sample(at: number, over: Partial<WatchSample> = {}): WatchSample {
  return {
    at,
    lag: new Map([
      ["order", 100],
      ["user", 0],
    ]),
    outcomes: new Map([["applied", 1000]]),
    letters: [],
    rebuilds: [],
    tables: [
      { table: "orders", state: "current", reasons: [] },
      { table: "users", state: "current", reasons: [] },
    ],
    missing: [],
    errors: [],
    ...over,
  };
}

describe("terminal text", () => {
  it("shows C0, DEL and C1 characters as escapes, and keeps other text", () => {
    expect(forTerminal("a\u001b]0;title\u0007b\u001b[2Jc")).toBe("a\\x1b]0;title\\x07b\\x1b[2Jc");
    expect(forTerminal("del\u007f c1\u009b nul\u0000 tab\t nl\n")).toBe(
      "del\\x7f c1\\x9b nul\\x00 tab\\x09 nl\\x0a",
    );
    expect(forTerminal("tab\t nl\n cr\r", true)).toBe("tab\t nl\n cr\\x0d");
    expect(forTerminal("é ü ✓ ▁▂")).toBe("é ü ✓ ▁▂");
  });

  it("fits a line to a width with an ellipsis", () => {
    expect(fitWidth("abcdef", 4)).toBe("abc…");
    expect(fitWidth("abc", 4)).toBe("abc");
    expect(fitWidth("▁▂▃▄▅", 3)).toBe("▁▂…");
  });
});

describe("status --watch frames", () => {
  it("draws lag per topic with its trend and rate, events/s by outcome, letters, rebuilds and tables", () => {
    const history: WatchHistory = { trend: new Map() };
    const first = sample(0, {
      letters: [{ kind: "failed", reasonClass: "envelope", n: 3 }],
    });
    const one = renderFrame(first, history, head);
    expect(one[0]).toBe("group projector on shop · 1970-01-01 00:00:00Z · every 2s, Ctrl-C stops");
    expect(one).toContain("lag: 100 events");
    expect(one).toContain("events/s: measuring (shown from the next frame)");
    remember(history, first);
    const second = sample(2000, {
      lag: new Map([
        ["order", 40],
        ["user", 6],
      ]),
      outcomes: new Map([
        ["applied", 1100],
        ["stale", 4],
        ["dead_lettered", 2],
      ]),
      letters: [
        { kind: "failed", reasonClass: "envelope", n: 5 },
        { kind: "unmatched", reasonClass: "unmatched", n: 1 },
      ],
      rebuilds: [{ tables: ["orders", "order_items"], phase: "catching up", applied: 1200, behind: 30 }],
      tables: [
        { table: "orders", state: "rebuild", reasons: ["customer_phone is new"] },
        { table: "users", state: "current", reasons: [] },
      ],
      missing: ["reviews"],
    });
    const two = renderFrame(second, history, head);
    expect(two).toContain("lag: 46 events (-27/s)");
    expect(two.find((l) => l.includes("  order "))).toMatch(/^ {2}order +40 {2}█▄ +-30\/s$/);
    expect(two.find((l) => l.includes("  user "))).toMatch(/^ {2}user +6 {2}▁█ +\+3\.0\/s$/);
    expect(two).toContain("events/s: 53 (applied 50, stale 2.0, dead-lettered 1.0)");
    expect(two).toContain("dead letters: failed 5 (+2 since watching), unmatched 1 (+1 since watching)");
    expect(two).toContain("          5  failed     envelope");
    expect(two).toContain(
      "  orders, order_items: catching up, 1,200 events applied, 30 behind the live tables",
    );
    expect(two).toContain("tables: 1 current, 1 need a rebuild, 1 missing (projector migrate)");
    expect(two).toContain("  orders needs a rebuild: customer_phone is new");
  });

  it("escapes text from the specs and servers, and cuts lines to the terminal's width", () => {
    const history: WatchHistory = { trend: new Map() };
    const s = sample(0, {
      lag: new Map([["t\u001b[2J", 1]]),
      rebuilds: [{ tables: ["x\u009b31m"], phase: "done\u0007", applied: 1, behind: null }],
      errors: ["Kafka: broker \u001b]0;pwned\u0007 unreachable"],
    });
    const lines = renderFrame(s, history, { ...head, group: "g\u001b[31m", width: 60 });
    const text = lines.join("\n");
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain("g\\x1b[31m");
    expect(text).toContain("t\\x1b[2J");
    expect(text).toContain("x\\x9b31m: done\\x07");
    expect(text).toContain("! Kafka: broker \\x1b]0;pwned\\x07 unreachable");
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(60);
  });

  it("keeps the last TREND_SAMPLES lags per topic", () => {
    const history: WatchHistory = { trend: new Map() };
    for (let i = 0; i < TREND_SAMPLES + 5; i++)
      remember(history, sample(i * 1000, { lag: new Map([["order", i]]) }));
    expect(history.trend.get("order")).toEqual(Array.from({ length: TREND_SAMPLES }, (_, k) => k + 5));
    expect(sparkline([0, 0, 0])).toBe("▁▁▁");
    expect(sparkline([0, 7, 14])).toBe("▁▅█"); // 3.5 of 7 rounds up
  });
});
