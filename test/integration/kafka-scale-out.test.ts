import { beforeAll, describe, expect, it } from "vitest";
import type { TestDb } from "../helpers/db.js";
import { type KafkaCtx, kafkaCtx } from "../helpers/kafka/context.js";
import { logLines, type Proc, projector } from "../helpers/kafka/processes.js";
import { appliedCount, status } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { expectedLogCounts, logCounts } from "../helpers/log-tables.js";
import { expectSameTables, replayReference, tableDigests } from "../helpers/reference.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";
import { WaitAborted, waitFor, withTimeout } from "../helpers/wait.js";

const PARTITIONS = 6;
const TOPICS = 7;
const scope = testScope();
let generated: string;
let examples: string;
let total: number;
let expected: Record<string, string>;
let refDb: TestDb;
let expectedLogs: Record<string, number>;

beforeAll(async () => {
  examples = await streamFile(0, 0);
  // The reference: one replay of examples + stream, in the order they are emitted.
  const all = await streamFile(8000, 9);
  generated = await streamFile(8000, 9, false);
  total = readEvents(all).length;
  const ref = await replayReference(all);
  scope.keep(ref.db);
  refDb = ref.db;
  expected = await tableDigests(ref.db);
  expectedLogs = expectedLogCounts(all);
});

/** Partitions of the last "joined consumer group" line a process logged (0 before it joined). */
function assigned(p: Proc): number {
  const joins = logLines(p.stderr()).filter((l) => l.msg === "joined consumer group");
  return Number(joins.at(-1)?.partitions ?? 0);
}

/**
 * Topics with 6 partitions (created by emitting examples.jsonl), then two `run` processes of one
 * group, each owning half of the 42 partitions, before the stream arrives.
 */
async function twoConsumers(ctx: KafkaCtx, db: TestDb, batchSize: number): Promise<[Proc, Proc]> {
  const env = ctx.env(db, PARTITIONS);
  const e = await projector(["emit", examples], env);
  expect(e.status, e.stderr).toBe(0);
  const args = ["run", "--json", "--batch-size", String(batchSize)];
  const a = scope.spawn(args, env, { logs: true });
  const b = scope.spawn(args, env, { logs: true });
  await waitFor(
    "both consumers to share the partitions",
    () => {
      for (const p of [a, b])
        if (!p.running) throw new WaitAborted(`a consumer exited: ${p.stderr().slice(-2000)}`);
      return assigned(a) > 0 && assigned(b) > 0 && assigned(a) + assigned(b) === TOPICS * PARTITIONS;
    },
    { timeoutMs: 60_000 },
  );
  return [a, b];
}

async function emitStream(ctx: KafkaCtx, db: TestDb): Promise<void> {
  const e = await projector(["emit", generated], ctx.env(db, PARTITIONS));
  expect(e.status, e.stderr).toBe(0);
}

async function waitCaughtUp(ctx: KafkaCtx, db: TestDb, timeoutMs: number): Promise<void> {
  await waitFor(
    "status total_lag 0",
    async () => {
      const s = await status(ctx.env(db, PARTITIONS));
      return s.total_lag === 0 && s.partitions.length === TOPICS * PARTITIONS;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** The last pass any deployment would make: it must find nothing left, and the tables must be the clean result. */
async function finalPass(ctx: KafkaCtx, db: TestDb): Promise<void> {
  const env = ctx.env(db, PARTITIONS);
  const r = await withTimeout(
    projector(["run", "--until-caught-up", "--json"], env),
    90_000,
    "final pass hung",
  );
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  expect(summaryOf(r)).toMatchObject({ read: 0 });
  const st = await status(env);
  expect(st.total_lag).toBe(0);
  expect(await appliedCount(db, ctx.group)).toBe(total);
  await expectSameTables(db, refDb, expected);
  expect(await logCounts(db)).toEqual(expectedLogs);
}

describe.concurrent("two projector run processes in one consumer group", () => {
  it("share the 6-partition topics and give the single-process result", async () => {
    const db = await scope.db();
    const ctx = kafkaCtx();
    const [a, b] = await twoConsumers(ctx, db, 500);
    await emitStream(ctx, db);
    await waitCaughtUp(ctx, db, 90_000);
    const [ra, rb] = await Promise.all([a.stop("SIGTERM"), b.stop("SIGTERM")]);
    expect(ra.status, ra.stderr.slice(-3000)).toBe(0);
    expect(rb.status, rb.stderr.slice(-3000)).toBe(0);
    // Both did real work, and together they read every event exactly once.
    const [sa, sb] = [summaryOf(ra), summaryOf(rb)];
    expect(sa.read).toBeGreaterThan(0);
    expect(sb.read).toBeGreaterThan(0);
    expect(sa.read + sb.read).toBe(total);
    expect(sa.dead_lettered + sb.dead_lettered).toBe(0);
    await finalPass(ctx, db);
  }, 180_000);

  it("converge to the same result when one of them is SIGKILLed mid-stream", async () => {
    const db = await scope.db();
    const ctx = kafkaCtx();
    const [a, b] = await twoConsumers(ctx, db, 50);
    const base = await appliedCount(db, ctx.group);
    await emitStream(ctx, db);
    await waitFor(
      "some of the stream to be applied",
      async () => (await appliedCount(db, ctx.group)) >= base + 500,
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    const killed = await a.stop("SIGKILL", 10_000);
    expect(killed.status).toBeNull();
    const applied = await appliedCount(db, ctx.group);
    expect(applied).toBeLessThan(total - 1000); // mid-stream
    // The survivor keeps its partitions, then takes over the dead one's when its session expires.
    await waitCaughtUp(ctx, db, 120_000);
    expect(assigned(b)).toBe(TOPICS * PARTITIONS);
    const rb = await b.stop("SIGTERM");
    expect(rb.status, rb.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(rb).dead_lettered).toBe(0);
    await finalPass(ctx, db);
  }, 180_000);
});
