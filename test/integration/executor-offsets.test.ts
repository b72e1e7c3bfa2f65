import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SourceRecord } from "../../src/core/source-record.js";
import { ensureSchema } from "../../src/jobs/database.js";
import { loadCompiled } from "../../src/jobs/load-specs.js";
import { Executor, ExecutorStopped } from "../../src/run/executor.js";
import { Stats } from "../../src/run/stats.js";
import { MysqlSink } from "../../src/sink/mysql-sink.js";
import { EXAMPLES, REPO } from "../helpers/cli.js";
import { createTestDb, type TestDb } from "../helpers/db.js";
import { readEvents } from "../helpers/streams.js";

let db: TestDb;
let sink: MysqlSink;
const plan = loadCompiled(join(REPO, "projections"));
// The first user's events of the examples: created, updated, ... (one Kafka partition).
const lines = readEvents(EXAMPLES)
  .filter((e) => e.event_type.startsWith("user."))
  .slice(0, 6)
  .map((e) => JSON.stringify(e));

/** The examples' user events as records of partition 0 of topic `user`, at the given offsets. */
const records = (offsets: number[], topic = "user"): SourceRecord[] =>
  offsets.map((o) => ({
    value: lines[o]!,
    position: `partition 0 offset ${o}`,
    source: topic,
    kafka: { topic, partition: 0, offset: String(o) },
  }));

/** The offset stored for partition 0 of `topic`, group g (or `group`). */
async function stored(topic = "user", group = "g"): Promise<number> {
  const [off] = await db.rows<{ next_offset: string | number }>(
    "SELECT next_offset FROM projector_offsets WHERE consumer_group = ? AND topic = ? AND partition_id = 0",
    [group, topic],
  );
  return Number(off?.next_offset);
}

beforeAll(async () => {
  db = await createTestDb();
  sink = new MysqlSink(db.url);
  await ensureSchema(sink, plan);
});

afterAll(async () => {
  await sink?.close();
  await db?.drop();
});

describe("a closed sink", () => {
  it("opens no new session for work still running after close()", async () => {
    const late = new MysqlSink(db.url);
    expect(await late.query<{ one: number }[]>("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    await late.close();
    await expect(late.query("SELECT 1")).rejects.toMatchObject({ code: "SINK_CLOSED", transient: true });
    await expect(late.connection()).rejects.toMatchObject({ code: "SINK_CLOSED" });
  });
});

describe("a consumer group's batch", () => {
  it("applies a record once when it is queued twice (a rewind) or was applied before", async () => {
    expect(lines).toHaveLength(6);
    const stats = new Stats();
    const executor = new Executor(plan, sink, { stats, group: "g" });
    // Offsets 0-3, then 2-4 again after a rewind, in one transaction.
    await executor.apply(records([0, 1, 2, 3, 2, 3, 4]));
    expect(stats.read).toBe(5);
    expect(stats.applied + stats.stale + stats.deadLettered).toBe(5);
    // A redelivery of 3-5 in the next one: only 5 is new.
    await executor.apply(records([3, 4, 5]));
    expect(stats.read).toBe(6);
    expect(await stored()).toBe(6);
    // A redelivery alone never moves the offset back.
    await executor.apply(records([2]));
    expect(await stored()).toBe(6);
  });

  it("saves where the partition goes on past markers, also from a record applied before", async () => {
    const executor = new Executor(plan, sink, { stats: new Stats(), group: "g" });
    const topic = "user-tx";
    await executor.apply(records([0, 1, 2], topic));
    expect(await stored(topic)).toBe(3);
    // Record 2 again, now seen with the transaction marker after it (offsets 3 and 4 hold none of ours).
    const [again] = records([2], topic);
    await executor.apply([{ ...again!, kafka: { ...again!.kafka!, next: "5" } }]);
    expect(await stored(topic)).toBe(5);
  });
});

describe("a batch planned ahead, its offsets' lock sent with its statements", () => {
  it("is applied again when another member applied some of its records meanwhile", async () => {
    const stats = new Stats();
    const mine = new Executor(plan, sink, { stats, group: "g2" });
    const first = mine.prepare(records([0, 1]));
    const second = mine.prepare(records([2, 3, 4]));
    // The second batch is planned while the first is written.
    await mine.applyPrepared(first, () => second);
    // Another member (the partition moved, say) applies record 2 and commits first.
    const other = new Executor(plan, sink, { stats: new Stats(), group: "g2" });
    await other.apply(records([2]));
    // The plan made ahead counted record 2 too: the lock shows it applied, so the batch is rolled
    // back and applied again without it.
    await mine.applyPrepared(second);
    expect(stats.replanned).toBe(1);
    expect(stats.read).toBe(4); // 0, 1, 3, 4: record 2 once, by the other member
    const [row] = await db.rows<{ n: number }>(
      "SELECT COUNT(*) AS n FROM projector_offsets WHERE consumer_group = 'g2' AND next_offset = 5",
    );
    expect(Number(row?.n)).toBe(1);
  });

  it("goes in one flight when nothing moved, and not right after a batch that wrote letters", async () => {
    const stats = new Stats();
    const mine = new Executor(plan, sink, { stats, group: "g3", deadLetterUnknown: true });
    const a = mine.prepare(records([0, 1], "user-g3"));
    const b = mine.prepare(records([2, 3], "user-g3"));
    await mine.applyPrepared(a, () => b);
    await mine.applyPrepared(b);
    expect(stats.lockPipelined).toBe(1);
    expect(stats.replanned).toBe(0);
    // A batch with a dead letter (not JSON), then one planned ahead of it: its own round trip.
    const broken: SourceRecord = { ...records([4], "user-g3")[0]!, value: "{ not json" };
    const c = mine.prepare([broken]);
    const d = mine.prepare(records([5], "user-g3"));
    await mine.applyPrepared(c, () => d);
    await mine.applyPrepared(d);
    expect(stats.deadLettered).toBe(1);
    expect(stats.lockPipelined).toBe(1);
    expect(stats.replanned).toBe(0);
    expect(stats.plannedAhead).toBe(2);
    // The letter waits on nothing (it failed): the batches after it go in one flight again.
    const e = mine.prepare(records([0], "user-g3b"));
    const f = mine.prepare(records([1], "user-g3b"));
    await mine.applyPrepared(e, () => f);
    await mine.applyPrepared(f);
    expect(stats.lockPipelined).toBe(2); // f (e had no plan made ahead)
    expect(stats.replanned).toBe(0);
  });
});

describe("a fenced batch planned ahead when the specs generation moved", () => {
  it("stops without committing anything, whichever way its lock was sent", async () => {
    const group = "g4";
    const topic = "user-g4";
    const generation = async () => {
      const [row] = await db.rows<{ value: string }>(
        "SELECT value FROM projector_meta WHERE name = 'specs_generation'",
      );
      return row?.value;
    };
    await db.rows(
      "INSERT INTO projector_meta (name, value) VALUES ('specs_generation', '0') ON DUPLICATE KEY UPDATE name = name",
    );
    const begun = String(await generation());
    const stats = new Stats();
    const mine = new Executor(plan, sink, { stats, group });
    const moved: string[] = [];
    mine.fence(begun, (now) => moved.push(now));
    const second = mine.prepare(records([2, 3], topic));
    await mine.applyPrepared(mine.prepare(records([0, 1], topic)), () => second);
    // A rebuild's swap moves the generation on before the planned batch runs.
    await db.rows(
      "UPDATE projector_meta SET value = CAST(CAST(value AS UNSIGNED) + 1 AS CHAR) WHERE name = 'specs_generation'",
    );
    await expect(mine.applyPrepared(second)).rejects.toBeInstanceOf(ExecutorStopped);
    expect(moved).toEqual([String(Number(begun) + 1)]);
    expect(stats.replanned).toBe(1);
    expect(await stored(topic, group)).toBe(2);
  });
});

describe("a batch planned ahead whose statements MySQL refuses because the plan went stale", () => {
  it("is applied again the careful way, not split and not dead-lettered", async () => {
    const counters = loadCompiled(join(REPO, "bench", "counters"));
    const cdb = await createTestDb();
    const csink = new MysqlSink(cdb.url);
    try {
      await ensureSchema(csink, counters);
      const event = (o: number, type: string, data: Record<string, unknown>): SourceRecord => ({
        value: JSON.stringify({
          event_type: type,
          event_id: `e${o}`,
          timestamp: `2025-01-01T00:00:0${o}Z`,
          entity_id: "u1",
          data,
        }),
        position: `partition 0 offset ${o}`,
        source: "loyalty",
        kafka: { topic: "loyalty", partition: 0, offset: String(o) },
      });
      const stream = [
        event(0, "loyalty.joined", { tier: "gold" }),
        event(1, "loyalty.points_earned", { points: 10 }),
        event(2, "loyalty.points_earned", { points: 5 }),
        event(3, "loyalty.points_earned", { points: 7 }),
      ];
      const stats = new Stats();
      const refused: number[] = [];
      const mine = new Executor(counters, csink, {
        stats,
        group: "gc",
        onRefused: (_e, events) => refused.push(events),
      });
      const second = mine.prepare(stream.slice(2));
      await mine.applyPrepared(mine.prepare(stream.slice(0, 2)), () => second);
      // Another member counts record 2 first: the plan made ahead would count it again, and MySQL
      // refuses its remembered count (a duplicate key) before the lock's answer is read.
      await new Executor(counters, csink, { stats: new Stats(), group: "gc" }).apply([stream[2]!]);
      await mine.applyPrepared(second);
      expect(refused).toEqual([]);
      expect(stats.replanned).toBe(1);
      expect(stats.deadLettered).toBe(0);
      const [row] = await cdb.rows<{ points: number }>(
        "SELECT points FROM loyalty_accounts WHERE user_id = 'u1'",
      );
      expect(Number(row?.points)).toBe(22);
    } finally {
      await csink.close();
      await cdb.drop();
    }
  });
});
