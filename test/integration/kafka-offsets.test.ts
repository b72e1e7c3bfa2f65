import { setTimeout as sleep } from "node:timers/promises";
import { type Admin, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDb } from "../helpers/db.js";
import { type KafkaCtx, kafkaCtx, MAIN_BROKER } from "../helpers/kafka/context.js";
import { projector, spawnProjector } from "../helpers/kafka/processes.js";
import { testScope } from "../helpers/kafka/scope.js";
import { expectedLogCounts, logCounts } from "../helpers/log-tables.js";
import { expectSameTables, projectedTables, replayReference, tableDigests } from "../helpers/reference.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";
import { withTimeout } from "../helpers/wait.js";

const scope = testScope();
let admin: Admin;
let file: string;
let db: TestDb;
let ctx: KafkaCtx;
let env: Record<string, string>;
let topics: string[];
/** The replay of the stream, and its tables' digests (set by the second test). */
let reference: TestDb;
let digests: Record<string, string>;

beforeAll(async () => {
  admin = new Kafka({
    clientId: "projector-test-offsets",
    brokers: [MAIN_BROKER],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  file = await streamFile(8000, 11);
  db = await scope.db();
  ctx = kafkaCtx();
  env = ctx.env(db, 6);
  topics = [...new Set(readEvents(file).map((e) => `${ctx.prefix}${e.event_type.split(".")[0]}`))];
});

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined);
});

/** Kafka's committed offset per "topic/partition" (partitions without a commit left out). */
async function kafkaOffsets(): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const t of await admin.fetchOffsets({ groupId: ctx.group, topics })) {
    for (const p of t.partitions)
      if (BigInt(p.offset) >= 0n) out.set(`${t.topic}/${p.partition}`, BigInt(p.offset));
  }
  return out;
}

/** MySQL's next offset per "topic/partition" for the test's group. */
async function mysqlOffsets(): Promise<Map<string, bigint>> {
  try {
    const rows = await db.rows<{ topic: string; partition_id: number; next_offset: string | number }>(
      "SELECT topic, partition_id, next_offset FROM projector_offsets WHERE consumer_group = ?",
      [ctx.group],
    );
    return new Map(rows.map((r) => [`${r.topic}/${r.partition_id}`, BigInt(r.next_offset)]));
  } catch {
    return new Map(); // the run has not created its tables yet
  }
}

describe("Kafka's committed offsets follow MySQL's", () => {
  it("never lead MySQL's while a run goes, and equal them when it stops", async () => {
    const emitted = await projector(["emit", file], env);
    expect(emitted.status, emitted.stderr).toBe(0);

    // Small transactions: many commits, so Kafka's offsets move many times while we watch.
    const run = spawnProjector(["run", "--until-caught-up", "--batch-size", "100"], env);
    const ahead: string[] = [];
    let samplesWithProgress = 0;
    while (run.running) {
      // Kafka first: MySQL's offsets only grow, so a Kafka offset above MySQL's read after it is a lead.
      const kafka = await kafkaOffsets();
      const mysql = await mysqlOffsets();
      if ([...kafka.values()].some((o) => o > 0n)) samplesWithProgress++;
      for (const [k, o] of kafka) {
        const m = mysql.get(k);
        if (m === undefined || o > m) ahead.push(`${k}: Kafka ${o}, MySQL ${m ?? "none"}`);
      }
      await sleep(20);
    }
    const r = await run.wait(1000);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(ahead).toEqual([]);
    // The watch saw Kafka's offsets move (the check above was not vacuous).
    expect(samplesWithProgress).toBeGreaterThanOrEqual(2);

    // At the stop, what MySQL applied (every event) was committed to Kafka too.
    const mysql = await mysqlOffsets();
    expect(mysql.size).toBe(topics.length * 6);
    expect(await kafkaOffsets()).toEqual(mysql);
  }, 120_000);

  it("a restart seeks to MySQL's offsets, also on partitions where Kafka's offset is the end", async () => {
    // MySQL behind Kafka on every partition (as a lag tool's reset, or an older version, leaves it):
    // most partitions have nothing past Kafka's offset, so no batch arrives to notice the difference.
    await db.rows(
      "UPDATE projector_offsets SET next_offset = GREATEST(next_offset - 7, 0) WHERE consumer_group = ?",
      [ctx.group],
    );
    const kafka = await kafkaOffsets();
    const mysql = await mysqlOffsets();
    let rewound = 0;
    for (const [k, o] of kafka) rewound += Number(o - mysql.get(k)!);
    expect(rewound).toBeGreaterThan(7 * 20);

    const r = await withTimeout(
      projector(["run", "--until-caught-up", "--json"], env),
      60_000,
      "the restarted run did not catch up",
    );
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    // Exactly the rewound records were read again, and they changed nothing.
    expect(summaryOf(r)).toMatchObject({ read: rewound, dead_lettered: 0 });
    expect(await kafkaOffsets()).toEqual(kafka);
    expect(await mysqlOffsets()).toEqual(kafka);

    const ref = await replayReference(file);
    scope.keep(ref.db);
    const expected = await tableDigests(ref.db);
    expect(Object.keys(expected)).toEqual(await projectedTables());
    await expectSameTables(db, ref.db, expected);
    expect(await logCounts(db)).toEqual(expectedLogCounts(file));
    reference = ref.db;
    digests = expected;
  }, 120_000);

  it("a new database under the same group starts every partition at its earliest offset", async () => {
    // Kafka's committed offsets say every partition is done; MySQL has applied nothing.
    const fresh = await scope.db();
    const r = await withTimeout(
      projector(["run", "--until-caught-up", "--json"], { ...env, MYSQL_URL: fresh.url }),
      60_000,
      "the run into a new database did not catch up",
    );
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(r)).toMatchObject({ read: readEvents(file).length, dead_lettered: 0 });
    await expectSameTables(fresh, reference, digests);
  }, 120_000);

  it("--from-beginning reprocesses every partition, though nothing new arrived", async () => {
    const r = await withTimeout(
      projector(["run", "--from-beginning", "--until-caught-up", "--json"], env),
      60_000,
      "the --from-beginning run did not catch up",
    );
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(r)).toMatchObject({ read: readEvents(file).length, dead_lettered: 0 });
    await expectSameTables(db, reference, digests);
    expect(await logCounts(db)).toEqual(expectedLogCounts(file));
  }, 120_000);
});
