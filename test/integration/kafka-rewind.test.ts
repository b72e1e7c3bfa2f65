import { describe, expect, it } from "vitest";
import { projector } from "../helpers/kafka/processes.js";
import { produceRaw } from "../helpers/kafka/produce-raw.js";
import { appliedCount } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { freePort, httpGet } from "../helpers/metrics-http.js";
import { newOrder, readEvents, streamFile } from "../helpers/streams.js";
import { WaitAborted, waitFor } from "../helpers/wait.js";

/** A new order numbered ORD-R-n. */
const order = (n: number) => newOrder(n, `ORD-R-${n}`);

const scope = testScope();

describe("a transaction MySQL refuses whole (not because of an event)", () => {
  it("is read again from MySQL's offsets until it goes through: nothing queued behind it is lost", async () => {
    const { db, ctx, env } = await scope.kafka(2);
    const file = await streamFile(2000, 17);
    const total = readEvents(file).length;
    expect((await projector(["emit", file], env)).status).toBe(0);

    const port = await freePort();
    const run = scope.spawn(["run", "--metrics-port", String(port)], env, { logs: true });
    const alive = async () => {
      if (!run.running) throw new WaitAborted(`run exited: ${(await run.done).stderr.slice(-2000)}`);
    };
    await waitFor(
      "the stream to be applied",
      async () => {
        await alive();
        return (await appliedCount(db, ctx.group)) === total;
      },
      { timeoutMs: 60_000 },
    );
    expect((await httpGet(port, "/readyz")).status).toBe(200);

    // With a dead-letter table too narrow for any reason, a transaction holding a poison message
    // cannot commit, and splitting it cannot help: MySQL refuses the dead letter itself. (A dropped
    // table is a fault of the server's state instead: the same batch is retried in place.)
    // (The stream's updates kept for their missing rows have longer reasons: they go first.)
    await db.rows("DELETE FROM projector_dead_letters WHERE kind = 'unmatched'");
    await db.rows("ALTER TABLE projector_dead_letters MODIFY reason VARCHAR(3) NOT NULL");
    const topic = `${ctx.prefix}order`;
    const produced = await produceRaw(ctx.brokers, [
      { topic, partition: 1, value: "not {JSON" },
      { topic, partition: 1, value: JSON.stringify(order(1)) },
      { topic, partition: 0, value: JSON.stringify(order(2)) },
      { topic, partition: 1, value: JSON.stringify(order(3)) },
    ]);
    const failures = () => run.stderr().split("a transaction failed; reading again").length - 1;
    await waitFor(
      "the transaction to fail twice",
      async () => {
        await alive();
        return failures() >= 2;
      },
      { timeoutMs: 30_000 },
    );
    // Retried from MySQL's offsets: the poison's partition has not moved past it.
    const [stored] = await db.rows<{ next_offset: string | number }>(
      "SELECT next_offset FROM projector_offsets WHERE consumer_group = ? AND topic = ? AND partition_id = 1",
      [ctx.group, topic],
    );
    expect(Number(stored?.next_offset)).toBe(Number(produced[0]!.offset));
    // Other transactions may commit meanwhile; the run is not ready while these records are not.
    expect((await httpGet(port, "/readyz")).status).toBe(503);

    // The table is mended: the next retry goes through, and every record behind the poison is applied.
    await db.rows("ALTER TABLE projector_dead_letters MODIFY reason TEXT NOT NULL");
    await waitFor(
      "the records behind the poison message to be applied",
      async () => {
        await alive();
        return (await appliedCount(db, ctx.group)) === total + produced.length;
      },
      { timeoutMs: 60_000 },
    );
    await waitFor("/readyz 200 again", async () => (await httpGet(port, "/readyz")).status === 200, {
      timeoutMs: 10_000,
    });
    const stopped = await run.stop("SIGTERM", 30_000);
    expect(stopped.status, stopped.stderr.slice(-3000)).toBe(0);

    const orders = await db.rows<{ order_number: string }>(
      "SELECT order_number FROM orders WHERE order_number LIKE 'ORD-R-%' ORDER BY 1",
    );
    expect(orders.map((o) => o.order_number)).toEqual(["ORD-R-1", "ORD-R-2", "ORD-R-3"]);
    const letters = await db.rows<{ position: string }>(
      "SELECT position FROM projector_dead_letters WHERE kind = 'failed'",
    );
    expect(letters).toEqual([{ position: `partition 1 offset ${produced[0]!.offset}` }]);
  }, 150_000);
});
