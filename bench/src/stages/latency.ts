import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Partitioners } from "kafkajs";
import { freePort, httpGet } from "../lib/http.js";
import { info } from "../lib/log.js";
import {
  type Bucket,
  histogramBuckets,
  histogramQuantile,
  parseMetrics,
  type Sample,
} from "../lib/metrics.js";
import { round } from "../lib/numbers.js";
import { producePaced } from "../lib/paced-producer.js";
import { type ProjectorResult, projector } from "../lib/projector-cli.js";
import type { Stage, StageContext, StageFigures } from "../lib/stage.js";
import { readEnvelopes } from "../lib/stream.js";

/** The run's event-to-commit histogram on /metrics. */
const HISTOGRAM = "projector_event_to_commit_seconds";
/** Events created per tick: every 10 ms at 2000 events/s. */
const PER_TICK = 20;
/** Partitions of each fresh topic. */
const PARTITIONS = 6;

/**
 * latency: `projector run --metrics-port N` on fresh topics; events produced at a steady rate (a
 * warm-up first, then the measured window); the window's event-to-commit distribution is the
 * difference of the histogram scraped before and after it.
 */
async function measure(ctx: StageContext): Promise<StageFigures> {
  const { config, children } = ctx;
  await ctx.kafka.ensureBroker();
  const rate = config.latency_rate;
  const seconds = config.latency_seconds;
  const warmup = config.latency_warmup;
  const total = rate * seconds;
  const envelopes = await readEnvelopes(ctx.stream, total + rate * warmup);
  const { url } = await ctx.databases.fresh("latency");
  const { env, prefix } = ctx.kafka.stageEnv("latency", url);
  const topics = ctx.plan.topics.map((t) => prefix + t);
  await ctx.kafka.createTopics(topics, PARTITIONS);
  const port = await freePort();
  let child: ChildProcess | undefined;
  const running: Promise<ProjectorResult> = projector(
    children,
    ["run", "--metrics-port", String(port), "--json"],
    {
      env,
      log: "latency-run",
      allowSignal: true,
      onSpawn: (c) => {
        child = c;
      },
    },
  );
  let exited = false;
  running.then(
    () => {
      exited = true;
    },
    () => {
      exited = true;
    },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    const readyBy = Date.now() + 60_000;
    while ((await httpGet(`${base}/readyz`)).status !== 200) {
      if (exited) await running; // throws with the log tail
      if (Date.now() > readyBy) throw new Error("run did not become ready within 60 s");
      await sleep(200);
    }
    const producer = ctx.kafka.client().producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    // Warm up: an empty batch loads the topics' metadata, so the first tick does not pay for it.
    await producer.sendBatch({ acks: -1, topicMessages: topics.map((topic) => ({ topic, messages: [] })) });
    // Events from the stream, re-wrapped with a fresh event_id and the tick's timestamp (also the
    // Kafka timestamp); key = entity_id, as the emitter does.
    let cursor = 0;
    const next = (nowMs: number, nowIso: string) => {
      const e = envelopes[cursor++ % envelopes.length]!;
      const value = JSON.stringify({ ...e, event_id: randomUUID(), timestamp: nowIso });
      return {
        topic: prefix + e.event_type.split(".")[0],
        message: { key: e.entity_id, value, timestamp: String(nowMs) },
      };
    };
    // Drained: everything produced so far read, and every partition's lag 0. Returns /metrics then.
    let totalAcked = 0;
    const drained = async (): Promise<Sample[]> => {
      const drainBy = Date.now() + 300_000;
      for (;;) {
        if (exited) await running;
        const m = parseMetrics((await httpGet(`${base}/metrics`)).text);
        const read = m.find((x) => x.name === "projector_events_read_total")?.value ?? 0;
        const lags = m.filter((x) => x.name === "projector_lag_events");
        if (read >= totalAcked && lags.length > 0 && lags.every((l) => l.value === 0)) return m;
        if (Date.now() > drainBy) throw new Error(`not drained after 300 s (read ${read} of ${totalAcked})`);
        await sleep(250);
      }
    };
    // Warm-up: the first seconds of a fresh broker, producer and consumer (JIT, new partitions' files,
    // first fetches) are produced and drained first; only the window after it is measured. The
    // histogram over the whole run (warm-up included) is reported beside it.
    if (warmup > 0) {
      info(`latency: warm-up, ${rate * warmup} events at ${rate}/s`);
      const w = await producePaced(producer, { rate, seconds: warmup, perTick: PER_TICK, next });
      totalAcked += w.acked;
      await drained();
    }
    const before: Bucket[] | null = warmup > 0 ? histogramBuckets(await drained(), HISTOGRAM) : null;
    info(`latency: producing ${total} events at ${rate}/s for ${seconds} s`);
    const p = await producePaced(producer, { rate, seconds, perTick: PER_TICK, next });
    totalAcked += p.acked;
    await producer.disconnect();
    const produced = Math.round(p.acked / p.seconds);
    info(`latency: produced ${p.acked} in ${p.seconds.toFixed(1)} s (${produced}/s), waiting for lag 0`);
    const drainStarted = performance.now();
    const metrics = await drained();
    const drainedAfter = (performance.now() - drainStarted) / 1000;
    const whole = histogramBuckets(metrics, HISTOGRAM);
    const window = whole.map((b, i) => ({ le: b.le, count: b.count - (before ? before[i]!.count : 0) }));
    const count = window.at(-1)!.count;
    if (count !== p.acked)
      throw new Error(`latency window holds ${count} commits for ${p.acked} events produced`);
    child?.kill("SIGTERM");
    const r = await running;
    const s = r.summary;
    const p50 = round(histogramQuantile(window, 0.5), 1);
    const p90 = round(histogramQuantile(window, 0.9), 1);
    const p99 = round(histogramQuantile(window, 0.99), 1);
    const within500 = (window.find((b) => b.le === 500)?.count ?? 0) / count;
    const wholeP99 = round(histogramQuantile(whole, 0.99), 1);
    return {
      events: p.acked,
      target_rate: rate,
      seconds,
      warmup_seconds: warmup,
      produce_seconds: round(p.seconds, 3),
      events_per_second: produced,
      late_ticks: p.lateTicks,
      produce_requests: p.requests,
      largest_request_events: p.maxBatch,
      slowest_request_ms: Math.round(p.maxRequestMs),
      drained_after_seconds: round(drainedAfter, 2),
      p50_ms: p50,
      p90_ms: p90,
      p99_ms: p99,
      within_500ms: round(within500, 5),
      p99_including_warmup_ms: wholeP99,
      histogram_ms: window.map((b) => [b.le === Number.POSITIVE_INFINITY ? "+Inf" : b.le, b.count]),
      latency_count: count,
      max_rss_mb: s?.max_rss_mb,
      summary: s,
      notes: `p50 ${p50} ms, p99 ${p99} ms (n=${count}, ${round(100 * within500, 2)} % ≤ 500 ms; after ${warmup} s warm-up, p99 ${wholeP99} ms with it); slowest send ${Math.round(p.maxRequestMs)} ms`,
    };
  } finally {
    if (!exited) {
      child?.kill("SIGTERM");
      await running.catch(() => undefined);
    }
  }
}

/** latency: event-to-commit at a steady produce rate, from the run's own histogram. */
export const latency: Stage = {
  name: "latency",
  label: "latency",
  quiesce: true,
  run: measure,
};
