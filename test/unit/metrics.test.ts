import { describe, expect, it } from "vitest";
import { createMetrics, type LagSample } from "../../src/jobs/metrics.js";
import { LATENCY_BUCKETS_MS, Stats } from "../../src/run/stats.js";

/** The exposition of `stats` (and `lag`), as /metrics serves it, without the process metrics. */
function prometheusText(stats: Stats, lag: LagSample[], ready: boolean): Promise<string> {
  return createMetrics({ stats, lag: () => lag, ready: () => ready }, { processMetrics: false }).metrics();
}

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
  it("puts each latency in the first bucket whose bound holds it, cumulatively in the exposition", async () => {
    const stats = new Stats();
    for (const ms of [0, 1, 1.5, 10, 499, 500, 501, 70_000]) stats.recordLatency(ms);
    const m = samples(await prometheusText(stats, [], true));
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

  it("has one line per bound, increasing bounds, and never decreasing counts", async () => {
    const stats = new Stats();
    for (let i = 0; i < 1000; i++) stats.recordLatency((i * 37) % 2000);
    const text = await prometheusText(stats, [], true);
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
    const none = { ops: [], results: [], order: [] };
    stats.countBatch(prepared, batchOutcomes(prepared, [], none, typeLabel(compiled)), none, 1);
    expect([...stats.byEventType.keys()].sort()).toEqual(["(undecodable)", "(unknown)"]);
    expect(stats.byEventType.get("(unknown)")).toMatchObject({ skipped: 10_000, deadLettered: 10_000 });
    const text = await prometheusText(stats, [], true);
    // Two series (the two labels) of six outcomes each, whatever the number of made-up types.
    expect(text.split("\n").filter((l) => l.startsWith("projector_events_total{")).length).toBe(12);
    expect(text).not.toContain("made.up");
  });
});

describe("/metrics on prom-client", () => {
  it("serves batch size and duration as histograms (5 ms to 60 s), counted per batch", async () => {
    const stats = new Stats();
    for (const [size, ms] of [
      [1, 3],
      [100, 12],
      [1000, 250],
      [20_000, 90_000],
    ] as const)
      stats.recordBatch(size, ms);
    const m = samples(await prometheusText(stats, [], true));
    expect(m.get('projector_batch_size_events_bucket{le="1"}')).toBe(1);
    expect(m.get('projector_batch_size_events_bucket{le="100"}')).toBe(2);
    expect(m.get('projector_batch_size_events_bucket{le="1000"}')).toBe(3);
    expect(m.get('projector_batch_size_events_bucket{le="+Inf"}')).toBe(4);
    expect(m.get("projector_batch_size_events_sum")).toBe(21_101);
    expect(m.get("projector_batch_size_events_count")).toBe(4);
    expect(m.get('projector_batch_duration_seconds_bucket{le="0.005"}')).toBe(1);
    expect(m.get('projector_batch_duration_seconds_bucket{le="0.015"}')).toBe(2);
    expect(m.get('projector_batch_duration_seconds_bucket{le="0.25"}')).toBe(3);
    expect(m.get('projector_batch_duration_seconds_bucket{le="60"}')).toBe(3);
    expect(m.get('projector_batch_duration_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(m.get("projector_batch_duration_seconds_sum")).toBeCloseTo(90.265, 9);
    // The summaries' quantile series are gone: histogram_quantile() over the buckets replaces them.
    expect([...m.keys()].some((k) => k.includes("quantile"))).toBe(false);
  });

  it("counts healed letters per event type apart from the events (projector_letters_healed_total)", async () => {
    const stats = new Stats();
    const counts = {
      applied: 2,
      stale: 0,
      skipped: 0,
      deadLettered: 0,
      filtered: 0,
      filteredActions: 0,
      unmatchedKept: 1,
      missingSkipped: 0,
      alreadyCounted: 0,
      healed: 3,
    };
    stats.countBatch([], new Map([["order.shipped", counts]]), { ops: [], results: [], order: [] }, 1);
    const m = samples(await prometheusText(stats, [], true));
    expect(m.get('projector_letters_healed_total{event_type="order.shipped"}')).toBe(3);
    expect(m.get('projector_events_total{event_type="order.shipped",outcome="applied"}')).toBe(2);
    expect(m.get('projector_events_total{event_type="order.shipped",outcome="unmatched_kept"}')).toBe(1);
    expect([...m.keys()].some((k) => k.includes('outcome="healed"'))).toBe(false);
    expect(stats.summary()).toMatchObject({ healed: 3 });
  });

  it("adds Node's process and runtime metrics, and says 1 for a refused run", async () => {
    const stats = new Stats();
    let refused: string | undefined;
    const registry = createMetrics({ stats, lag: () => [], ready: () => false, refused: () => refused });
    const text = await registry.metrics();
    for (const family of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_gc_duration_seconds",
    ])
      expect(text).toContain(`# TYPE ${family} `);
    const m = samples(text);
    expect(m.get("process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect(m.get("projector_ready")).toBe(0);
    expect(m.get('projector_run_refused{reason="spec_drift"}')).toBe(0);
    refused = "spec_drift";
    expect(samples(await registry.metrics()).get('projector_run_refused{reason="spec_drift"}')).toBe(1);
    expect(registry.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("escapes label values and shows lag per topic and partition", async () => {
    const stats = new Stats();
    const text = await prometheusText(
      stats,
      [{ topic: 'a"b\\c\nd', partition: 3, events: 7, seconds: 1.5 }],
      true,
    );
    expect(text).toContain('projector_lag_events{topic="a\\"b\\\\c\\nd",partition="3"} 7');
    expect(text).toContain('projector_lag_seconds{topic="a\\"b\\\\c\\nd",partition="3"} 1.5');
  });
});

describe("dead letters' reason classes", () => {
  it("names each reason the engine writes by a class from a fixed set", async () => {
    const { reasonClass, MAPPING_CLASS, REASON_CLASSES } = await import("../../src/store/letter-classes.js");
    const { unmatchedReason } = await import("../../src/run/dead-letters.js");
    const { decodeEnvelope, EnvelopeError } = await import("../../src/run/decode.js");
    const envelope = (text: string) => {
      const e = decodeEnvelope(text);
      if (!(e instanceof EnvelopeError)) throw new Error("expected an envelope error");
      return e.reason;
    };
    expect(reasonClass(unmatchedReason(["orders: no row"]))).toBe("unmatched");
    expect(reasonClass(envelope("{"))).toBe("json");
    expect(reasonClass(envelope("[]"))).toBe("envelope");
    expect(reasonClass(envelope('{"event_type":"x.y"}'))).toBe("envelope");
    expect(reasonClass("rejected by MySQL: Data too long for column 'x'")).toBe("database");
    expect(
      reasonClass(
        "orders: unique key (order_number) = ORD-1 already belongs to row 6774c15fe4f4a400000001a2",
      ),
    ).toBe("unique_key");
    expect(reasonClass("unknown event type made.up (no projection declares it)")).toBe("unknown_type");
    expect(reasonClass("record of 5000000 bytes is larger than the maximum record size of 4194304 (…)")).toBe(
      "oversize",
    );
    // `%` and `_` are text in a pattern, not LIKE's wildcards.
    expect(reasonClass("envelopeX")).toBe(MAPPING_CLASS);
    expect(reasonClass("orders.total ← $.data.total: not a number")).toBe(MAPPING_CLASS);
    const classes = new Set([...REASON_CLASSES.map(([c]) => c), MAPPING_CLASS]);
    expect(classes.size).toBeLessThanOrEqual(10);
  });
});
