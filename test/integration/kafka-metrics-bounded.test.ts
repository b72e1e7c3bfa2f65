import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { projector } from "../helpers/kafka/processes.js";
import { testScope } from "../helpers/kafka/scope.js";
import { freePort, httpGet, metricSamples } from "../helpers/metrics-http.js";
import { waitFor } from "../helpers/wait.js";

const scope = testScope();

/** `n` events of distinct types no spec declares, from `from` on: even ones without entity_id (a bad envelope: dead-lettered), odd ones whole (skipped). */
function madeUp(from: number, n: number): string[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return JSON.stringify({
      event_type: `made.up${i}\u001b[2J`,
      event_id: `e-${i}`,
      timestamp: "2025-01-01T00:00:00Z",
      ...(i % 2 === 1 ? { entity_id: `x${i}` } : {}),
      data: {},
    });
  });
}

/** The series of a family (lines that start with `name{` or `name `). */
function series(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe("metric label values from events fall into a bounded set", () => {
  it("keeps projector_dead_letters and the event counters at a few series over thousands of made-up types", async () => {
    const { db, ctx, env } = await scope.kafka(2);
    const migrated = await projector(["migrate"], env);
    expect(migrated.status, migrated.stderr).toBe(0);
    const port = await freePort();
    const run = scope.spawn(["run", "--metrics-port", String(port)], env);
    await waitFor("/readyz", async () => (await httpGet(port, "/readyz")).status === 200, {
      timeoutMs: 60_000,
    });

    const kafka = new Kafka({
      clientId: "projector-test-bounded",
      brokers: [ctx.brokers],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    const send = async (values: string[]) => {
      for (let i = 0; i < values.length; i += 500)
        await producer.send({
          topic: `${ctx.prefix}order`,
          acks: -1,
          messages: values.slice(i, i + 500).map((value, k) => ({ key: `k${i + k}`, value })),
        });
    };
    // One declared type with a bad envelope too: it keeps its own name.
    const declaredBad = JSON.stringify({
      event_type: "order.created",
      event_id: "d1",
      timestamp: "2025-01-01T00:00:00Z",
      data: {},
    });
    const scrapeAfter = async (read: number, letters: number) =>
      waitFor(
        `${read} events read and ${letters} letters in the gauge`,
        async () => {
          const text = (await httpGet(port, "/metrics")).body;
          const m = metricSamples(text);
          const gauge = [...m].filter(([k]) => k.startsWith("projector_dead_letters{"));
          return m.get("projector_events_read_total") === read &&
            gauge.reduce((n, [, v]) => n + v, 0) === letters
            ? text
            : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
    try {
      await send([...madeUp(0, 1000), declaredBad]);
      const first = await scrapeAfter(1001, 501);
      await send(madeUp(1000, 3000));
      const second = await scrapeAfter(4001, 2001);

      // MySQL keeps every raw type; /metrics names them by the specs: two dead-letter series.
      const [distinct] = await db.rows<{ n: number }>(
        "SELECT COUNT(DISTINCT event_type) n FROM projector_dead_letters",
      );
      expect(Number(distinct!.n)).toBe(2001);
      expect(series(second, "projector_dead_letters").sort()).toEqual([
        'projector_dead_letters{kind="failed",event_type="(unknown)",reason_class="envelope"} 2000',
        'projector_dead_letters{kind="failed",event_type="order.created",reason_class="envelope"} 1',
      ]);
      const m = metricSamples(second);
      expect(m.get('projector_events_total{event_type="(unknown)",outcome="skipped"}')).toBe(2000);
      expect(m.get('projector_events_total{event_type="(unknown)",outcome="dead_lettered"}')).toBe(2000);
      expect(second).not.toContain("made.up");
      expect(second).not.toContain("\u001b");
      // Four times the types, the same series: the exposition does not grow with them.
      const projectorSeries = (t: string) => t.split("\n").filter((l) => l.startsWith("projector_")).length;
      expect(projectorSeries(second)).toBe(projectorSeries(first));
      expect(projectorSeries(second)).toBeLessThan(400);
    } finally {
      await producer.disconnect();
    }
    const r = await run.stop("SIGTERM", 30_000);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
  }, 180_000);
});

describe("reason classes counted in MySQL", () => {
  it("are the classes reasonClass() gives, for every pattern and for text with LIKE's wildcards", async () => {
    const { lettersByClassStatement, reasonClass } = await import("../../src/store/letter-classes.js");
    const db = await scope.db();
    const migrated = await projector(["migrate"], { MYSQL_URL: db.url });
    expect(migrated.status, migrated.stderr).toBe(0);
    const reasons = [
      "unmatched: orders: no row (kept: applied when the row arrives; projector dead-letters retry applies it too)",
      "rejected by MySQL: Data too long for column 'x' at row 1",
      "orders: unique key (order_number) = ORD-1 already belongs to row 6774c15fe4f4a400000001a2",
      "Kafka tombstone: the record's value is null",
      "record of 5000000 bytes is larger than the maximum record size of 4194304 (--max-record-bytes)",
      "payload is not valid UTF-8",
      "undecodable JSON: Unexpected token",
      "JSON nested deeper than 64 levels",
      "envelope field entity_id is missing",
      "unknown event type a.b (no projection declares it)",
      "orders.total ← $.data.total: not a number",
      "envelope_field 100% wrong", // `_` and `%` are not wildcards: a mapping reason
      "xunmatched: no",
    ];
    for (const [i, reason] of reasons.entries())
      await db.rows(
        "INSERT INTO projector_dead_letters (source, position, event_type, reason, payload, failed_at, kind) VALUES ('t', ?, ?, ?, '', NOW(6), 'failed')",
        [String(i), i % 2 === 0 ? "order.created" : `made.up${i}`, reason],
      );
    const st = lettersByClassStatement(["order.created"]);
    const rows = await db.rows<{ event_type: string; reason_class: string; n: number }>(st.sql, [
      ...st.params,
    ]);
    const expected = new Map<string, number>();
    for (const [i, reason] of reasons.entries()) {
      const key = `${i % 2 === 0 ? "order.created" : "(unknown)"} ${reasonClass(reason)}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    expect(new Map(rows.map((r) => [`${r.event_type} ${r.reason_class}`, Number(r.n)]))).toEqual(expected);
    expect(new Set(reasons.map(reasonClass)).size).toBe(10); // every class, json twice, mapping thrice
  });
});
