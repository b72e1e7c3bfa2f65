import { describe, expect, it } from "vitest";
import { prometheusText } from "../../src/cli/prometheus.js";
import { LATENCY_BUCKETS_MS, Stats } from "../../src/run/stats.js";

function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    m.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return m;
}

describe("event-to-commit histogram", () => {
  it("puts each latency in the first bucket whose bound holds it, cumulatively in the exposition", () => {
    const stats = new Stats();
    for (const ms of [0, 1, 1.5, 10, 499, 500, 501, 70_000]) stats.recordLatency(ms);
    const m = samples(prometheusText(stats, [], true));
    expect(m.get('projector_event_to_commit_seconds_bucket{le="0.001"}')).toBe(2); // 0 and 1 (bounds are inclusive)
    expect(m.get('projector_event_to_commit_seconds_bucket{le="0.002"}')).toBe(3);
    expect(m.get('projector_event_to_commit_seconds_bucket{le="0.01"}')).toBe(4);
    expect(m.get('projector_event_to_commit_seconds_bucket{le="0.4"}')).toBe(4);
    expect(m.get('projector_event_to_commit_seconds_bucket{le="0.5"}')).toBe(6);
    expect(m.get('projector_event_to_commit_seconds_bucket{le="0.6"}')).toBe(7);
    expect(m.get('projector_event_to_commit_seconds_bucket{le="60"}')).toBe(7);
    expect(m.get('projector_event_to_commit_seconds_bucket{le="+Inf"}')).toBe(8);
    expect(m.get("projector_event_to_commit_seconds_count")).toBe(8);
    expect(m.get("projector_event_to_commit_seconds_sum")).toBeCloseTo(
      (0 + 1 + 1.5 + 10 + 499 + 500 + 501 + 70_000) / 1000,
      6,
    );
  });

  it("has one line per bound, increasing bounds, and never decreasing counts", () => {
    const stats = new Stats();
    for (let i = 0; i < 1000; i++) stats.recordLatency((i * 37) % 2000);
    const text = prometheusText(stats, [], true);
    const buckets = [...text.matchAll(/^projector_event_to_commit_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)];
    expect(buckets).toHaveLength(LATENCY_BUCKETS_MS.length + 1);
    for (let i = 1; i < buckets.length; i++) {
      expect(Number(buckets[i]![2])).toBeGreaterThanOrEqual(Number(buckets[i - 1]![2]));
      if (buckets[i]![1] !== "+Inf")
        expect(Number(buckets[i]![1])).toBeGreaterThan(Number(buckets[i - 1]![1]));
    }
    expect(Number(buckets.at(-1)![2])).toBe(1000);
    expect(stats.summary().commit_latency_ms).toMatchObject({ count: 1000 });
  });
});

describe("event type labels come from the specs only", () => {
  it("counts 20,000 made-up event types as one (unknown) series, undecodable ones as one more", async () => {
    const { compile } = await import("../../src/compile/compile.js");
    const { prepareRecord } = await import("../../src/run/prepare.js");
    const { batchOutcomes, typeLabel } = await import("../../src/run/stats.js");
    const { loadSpecDirOrThrow } = await import("../helpers/specs.js");
    const compiled = compile(loadSpecDirOrThrow("projections"));
    const records = Array.from({ length: 20_000 }, (_, i) => ({
      value: JSON.stringify({
        event_type: `made.up${i}`,
        event_id: `e${i}`,
        timestamp: "2025-01-01T00:00:00Z",
        entity_id: "x",
        data: {},
      }),
      position: `line ${i + 1}`,
      source: "made-up.jsonl",
    }));
    records.push({ value: "not json", position: "line 20001", source: "made-up.jsonl" });
    const stats = new Stats();
    const prepared = records.map((r, i) => prepareRecord(compiled, r, i % 2 === 0));
    const none = { ops: [], results: [] };
    stats.countBatch(prepared, batchOutcomes(prepared, [], none, typeLabel(compiled)), none, 1);
    expect([...stats.byEventType.keys()].sort()).toEqual(["(undecodable)", "(unknown)"]);
    expect(stats.byEventType.get("(unknown)")).toMatchObject({ skipped: 10_000, deadLettered: 10_000 });
    const text = prometheusText(stats, [], true);
    // Two series (the two labels) of six outcomes each, whatever the number of made-up types.
    expect(text.split("\n").filter((l) => l.startsWith("projector_events_total{")).length).toBe(12);
    expect(text).not.toContain("made.up");
  });
});
