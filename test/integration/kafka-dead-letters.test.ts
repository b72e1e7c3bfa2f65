import { describe, expect, it } from "vitest";
import { projector } from "../helpers/kafka/processes.js";
import { produceRaw } from "../helpers/kafka/produce-raw.js";
import { status } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { exampleEnvelopes, newOrder, streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";

const examples = exampleEnvelopes();

const scope = testScope();

describe("poison messages on a Kafka topic", () => {
  it("are dead-lettered with topic and partition/offset, and the stream goes on", async () => {
    const { db, ctx, env } = await scope.kafka(2);
    const topic = `${ctx.prefix}order`;

    // Good events first (this creates the topics, 2 partitions each).
    const emitted = await projector(["emit", await streamFile(0, 0)], env);
    expect(emitted.status, emitted.stderr).toBe(0);

    // Then, straight to the order topic (emit refuses such lines): bytes that are no JSON, an
    // envelope whose order_number does not fit varchar(50), invalid UTF-8 — each followed on the
    // same partition by a good order.
    const tooLong = newOrder(2, "O".repeat(60));
    const bad = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const produced = await produceRaw(ctx.brokers, [
      { topic, partition: 1, key: "x", value: "this is {not JSON" },
      { topic, partition: 1, value: JSON.stringify(newOrder(1)) },
      { topic, partition: 1, key: tooLong.entity_id as string, value: JSON.stringify(tooLong) },
      { topic, partition: 0, value: bad },
      { topic, partition: 1, value: JSON.stringify(newOrder(3)) },
      { topic, partition: 0, value: JSON.stringify(newOrder(4)) },
    ]);
    const [notJson, , longString, notUtf8] = produced;

    const r = await projector(["run", "--until-caught-up", "--json"], env);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(r)).toMatchObject({
      read: examples.length + 6,
      applied: examples.length + 3,
      dead_lettered: 3,
    });

    const letters = await db.rows<{
      source: string;
      position: string;
      event_id: string | null;
      event_type: string | null;
      reason: string;
      payload: Buffer;
    }>(
      "SELECT source, position, event_id, event_type, reason, payload FROM projector_dead_letters WHERE kind = 'failed' ORDER BY id",
    );
    expect(letters).toHaveLength(3);
    const at = (p: { partition: number; offset: string }) => `partition ${p.partition} offset ${p.offset}`;
    const byPosition = new Map(letters.map((l) => [l.position, l]));
    expect([...byPosition.keys()].sort()).toEqual([at(notJson!), at(longString!), at(notUtf8!)].sort());
    for (const l of letters) expect(l.source).toBe(topic);

    const l1 = byPosition.get(at(notJson!))!;
    expect(l1.reason).toContain("undecodable JSON");
    expect(l1.payload.toString()).toBe("this is {not JSON");
    expect(l1.event_id).toBeNull();

    const l2 = byPosition.get(at(longString!))!;
    expect(l2.reason).toContain("order_number");
    expect(l2.reason).toContain("longer than the column's 50");
    expect(l2.event_id).toBe(tooLong.event_id);
    expect(l2.event_type).toBe("order.created");
    expect(JSON.parse(l2.payload.toString())).toEqual(tooLong);

    const l3 = byPosition.get(at(notUtf8!))!;
    expect(l3.reason).toContain("not valid UTF-8");
    expect(Buffer.compare(l3.payload, bad)).toBe(0);

    // The good orders around and after the poison ones are there; the rejected one is not.
    const orders = await db.rows<{ order_number: string }>("SELECT order_number FROM orders ORDER BY 1");
    expect(orders.map((o) => o.order_number)).toEqual(["ORD-20250115-0001", "ORD-K-1", "ORD-K-3", "ORD-K-4"]);
    expect(await db.rows("SELECT 1 FROM order_events WHERE event_id = ?", [tooLong.event_id])).toEqual([]);

    // Offsets moved past the poison: nothing is left, and a second run re-applies nothing.
    const st = await status(env);
    expect(st.total_lag).toBe(0);
    expect(st.dead_letters).toBe(3);
    const again = await projector(["run", "--until-caught-up", "--json"], env);
    expect(again.status, again.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(again)).toMatchObject({ read: 0, dead_lettered: 0 });
    expect(await db.rows("SELECT COUNT(*) n FROM projector_dead_letters WHERE kind = 'failed'")).toEqual([
      { n: 3 },
    ]);
  }, 120_000);
});
