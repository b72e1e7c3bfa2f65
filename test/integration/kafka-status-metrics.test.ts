import { describe, expect, it } from "vitest";
import { projector } from "../helpers/kafka/processes.js";
import { status } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { freePort, httpGet, metricSamples } from "../helpers/metrics-http.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";
import { waitFor } from "../helpers/wait.js";

const scope = testScope();

describe("projector status and /metrics while a run catches up", () => {
  it("shows the lag falling to 0 and exposes counters, lag, readiness", async () => {
    const file = await streamFile(3000, 21);
    const events = readEvents(file);
    const orderCreated = events.filter((e) => e.event_type === "order.created").length;
    expect(orderCreated).toBeGreaterThan(0);
    const { ctx, env } = await scope.kafka(3);
    const port = await freePort();

    // The run starts first (it creates the topics) and joins the group.
    const run = scope.spawn(["run", "--metrics-port", String(port), "--batch-size", "100", "--json"], env);
    await waitFor("/healthz", async () => (await httpGet(port, "/healthz")).status === 200, {
      timeoutMs: 30_000,
    });
    await waitFor(
      "/readyz 200 (joined the group)",
      async () => (await httpGet(port, "/readyz")).status === 200,
      {
        timeoutMs: 60_000,
      },
    );
    const idle = metricSamples((await httpGet(port, "/metrics")).body);
    expect(idle.get("projector_ready")).toBe(1);
    expect(idle.get("projector_events_read_total")).toBe(0);

    // Freeze the consumer (the process stays a group member) while the events arrive: the lag is
    // then the whole stream, whatever the timing.
    process.kill(run.pid, "SIGSTOP");
    let lags: number[];
    try {
      const emitted = await projector(["emit", file], env);
      expect(emitted.status, emitted.stderr).toBe(0);
      const before = await status(env);
      expect(before.total_lag).toBe(events.length);
      expect(before.partitions).toHaveLength(7 * 3);
      lags = [before.total_lag!];
    } finally {
      process.kill(run.pid, "SIGCONT");
    }
    expect(run.running).toBe(true);

    // Poll status until the lag is 0: it only ever falls.
    await waitFor(
      "status total_lag 0",
      async () => {
        const s = await status(env);
        lags.push(s.total_lag!);
        return s.total_lag === 0;
      },
      { timeoutMs: 90_000, intervalMs: 0 },
    );
    expect(lags[0]).toBeGreaterThan(0);
    expect(lags.at(-1)).toBe(0);
    for (let i = 1; i < lags.length; i++) expect(lags[i]).toBeLessThanOrEqual(lags[i - 1]!);

    // /metrics: counters of what was applied, the lag gauges at 0 (refreshed every 0.5 s), ready.
    const m = await waitFor(
      "metrics lag 0 on every partition",
      async () => {
        const s = metricSamples((await httpGet(port, "/metrics")).body);
        const lag = [...s].filter(([k]) => k.startsWith("projector_lag_events{"));
        return lag.length === 7 * 3 && lag.every(([, v]) => v === 0) ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(m.get('projector_events_total{event_type="order.created",outcome="applied"}')).toBe(orderCreated);
    expect(m.get('projector_events_total{event_type="order.created",outcome="dead_lettered"}')).toBe(0);
    expect(m.get("projector_events_read_total")).toBe(events.length);
    expect(m.get(`projector_lag_events{topic="${ctx.prefix}order",partition="0"}`)).toBe(0);
    expect(m.get(`projector_lag_seconds{topic="${ctx.prefix}order",partition="0"}`)).toBe(0);
    expect(m.get('projector_rows_written_total{table="orders"}')).toBeGreaterThan(0);
    expect(m.get("projector_batch_size_events_count")).toBeGreaterThanOrEqual(events.length / 100);
    expect(m.get("projector_ready")).toBe(1);
    // The latency histogram holds every Kafka record applied: +Inf bucket = count = events read.
    expect(m.get('projector_event_to_commit_seconds_bucket{le="+Inf"}')).toBe(events.length);
    expect(m.get("projector_event_to_commit_seconds_count")).toBe(events.length);
    expect(m.get("projector_event_to_commit_seconds_sum")).toBeGreaterThan(0);
    // examples.jsonl's status updates of two promotions never created: kept, counted, and (read
    // from MySQL every 10 s) in the dead-letter gauge.
    expect(m.get('projector_events_total{event_type="promotion.rejected",outcome="unmatched_kept"}')).toBe(1);
    await waitFor(
      "the dead-letter gauge",
      async () =>
        metricSamples((await httpGet(port, "/metrics")).body).get(
          'projector_dead_letters{kind="unmatched",event_type="promotion.cancelled",reason_class="unmatched"}',
        ) === 1,
      { timeoutMs: 25_000 },
    );
    const text = (await httpGet(port, "/metrics")).body;
    expect(text).toContain("# TYPE projector_dead_letters gauge");
    expect(text).toContain("# TYPE projector_dead_letter_retries_total counter");
    expect(text).toContain("# TYPE projector_events_total counter");
    expect(text).toContain("# TYPE projector_lag_events gauge");
    expect(text).toContain("# TYPE projector_event_to_commit_seconds histogram");
    expect(await httpGet(port, "/healthz")).toMatchObject({ status: 200 });
    expect(await httpGet(port, "/readyz")).toMatchObject({ status: 200 });
    expect((await httpGet(port, "/nope")).status).toBe(404);

    const r = await run.stop("SIGTERM", 30_000);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(r)).toMatchObject({ read: events.length, dead_lettered: 0 });
  }, 150_000);
});
