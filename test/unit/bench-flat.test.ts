import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { flatWorkload } from "../../bench/src/lib/flat.js";
import { loadPlan } from "../../bench/src/lib/map-line.js";

const EXAMPLES = fileURLToPath(new URL("../fixtures/events/examples.jsonl", import.meta.url));

describe("the bench's flat workload (flat and peer stages)", () => {
  const w = flatWorkload(loadPlan(), EXAMPLES, 5);

  it("repeats the user events with new user and event ids up to the count", () => {
    expect(w.events).toBe(5);
    expect(w.envelopes).toHaveLength(5);
    const ids = w.envelopes.map((r) => (JSON.parse(r.value) as { event_id: string }).event_id);
    expect(new Set(ids).size).toBe(5);
    expect(w.users).toBeGreaterThanOrEqual(3); // 2 user events in examples.jsonl: copies are new users
    for (const r of w.envelopes) expect(r.key).toBe((JSON.parse(r.value) as { entity_id: string }).entity_id);
  });

  it("flattens each to a Connect JSON row with its schema: ids as in the envelope, datetimes in µs", () => {
    const env = JSON.parse(w.envelopes[0]!.value) as {
      entity_id: string;
      event_id: string;
      timestamp: string;
    };
    const rec = JSON.parse(w.flat[0]!.value) as {
      schema: { fields: { field: string; type: string; name?: string; optional: boolean }[] };
      payload: Record<string, unknown>;
    };
    expect(JSON.parse(w.flat[0]!.key).payload).toEqual({ user_id: env.entity_id });
    expect(rec.payload.user_id).toBe(env.entity_id);
    expect(rec.payload.event_id).toBe(env.event_id);
    const ts = rec.schema.fields.find((f) => f.field === "event_timestamp")!;
    expect(ts).toMatchObject({ type: "int64", name: "io.debezium.time.MicroTimestamp" });
    expect(rec.payload.event_timestamp).toBe(
      Date.parse(env.timestamp) * 1000 +
        Number(/\.\d{3}(\d{0,3})/.exec(env.timestamp)?.[1]?.padEnd(3, "0") ?? 0),
    );
    expect(rec.schema.fields.find((f) => f.field === "user_id")).toMatchObject({
      type: "string",
      optional: false,
    });
  });

  it("knows what each side must end with: as many rows as users", () => {
    expect(w.expected.guarded.rows).toBe(w.users);
    expect(w.expected.lastWins.rows).toBe(w.users);
    expect(w.expected.guarded.digest).toMatch(/^\d+$/);
  });
});
