import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { EXAMPLES } from "../helpers/cli.js";
import { projector } from "../helpers/kafka/processes.js";
import { status } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { expectSameTables, replayReference, tableDigests } from "../helpers/reference.js";
import { type Envelope, exampleEnvelopes, newOrder } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";
import { withTimeout } from "../helpers/wait.js";

type Json = Envelope;
const examples = exampleEnvelopes();

const scope = testScope();

describe("a topic written by a transactional producer", () => {
  it("projects the committed transactions only, and --until-caught-up sees the end past the markers", async () => {
    const { db, ctx, env } = await scope.kafka(2);
    const topicOf = (e: Json) => `${ctx.prefix}${e.event_type.split(".")[0]}`;
    const kafka = new Kafka({
      clientId: "projector-test-tx",
      brokers: [ctx.brokers],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const topics = [...new Set(examples.map(topicOf))];
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: 2 })),
      waitForLeaders: true,
    });
    await admin.disconnect();

    const producer = kafka.producer({
      transactionalId: `tx-${ctx.group}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const send = async (events: Json[], commit: boolean, partition = 0) => {
      const tx = await producer.transaction();
      for (const e of events)
        await tx.send({
          topic: topicOf(e),
          messages: [{ partition, key: e.entity_id, value: JSON.stringify(e) }],
        });
      await (commit ? tx.commit() : tx.abort());
    };
    // Partition 0: an aborted transaction between two committed ones (its orders must never show
    // up). Partition 1 of the order topic: an aborted transaction only, nothing for us at all.
    const aborted = [1, 2, 3].map((n) => newOrder(n, `ORD-ABORTED-${n}`));
    try {
      await send(examples.slice(0, 30), true);
      await send(aborted, false);
      await send(examples.slice(30), true);
      await send(aborted, false, 1);
    } finally {
      await producer.disconnect();
    }

    const r = await withTimeout(
      projector(["run", "--until-caught-up", "--json"], env),
      60_000,
      "the run did not see the partitions' ends (transaction markers)",
    );
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(r)).toMatchObject({ read: examples.length, dead_lettered: 0 });

    const ref = await replayReference(EXAMPLES);
    scope.keep(ref.db);
    await expectSameTables(db, ref.db, await tableDigests(ref.db));
    expect(await db.rows("SELECT order_number FROM orders WHERE order_number LIKE 'ORD-ABORTED-%'")).toEqual(
      [],
    );
    // MySQL's offsets cover the markers: no lag left anywhere.
    const st = await status(env);
    expect(st.total_lag).toBe(0);
    const written = st.partitions.filter((p) => p.high_watermark !== "0");
    expect(written.map((p) => `${p.topic}/${p.partition}`)).toContain(`${ctx.prefix}order/1`);
    for (const p of written) expect(p.next_offset, `${p.topic}/${p.partition}`).toBe(p.high_watermark);

    // Offsets as a version that did not cover markers left them (last record + 1): a restart seeks
    // there, gets nothing but the markers, and still moves MySQL to the end.
    await db.rows("UPDATE projector_offsets SET next_offset = next_offset - 1 WHERE consumer_group = ?", [
      ctx.group,
    ]);
    const again = await withTimeout(
      projector(["run", "--until-caught-up", "--json"], env),
      60_000,
      "the restart did not see the partitions' ends",
    );
    expect(again.status, again.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(again)).toMatchObject({ applied: 0, dead_lettered: 0 });
    expect((await status(env)).total_lag).toBe(0);
    await expectSameTables(db, ref.db, await tableDigests(ref.db));
  }, 120_000);
});
