import { beforeAll, describe, expect, it } from "vitest";
import type { TestDb } from "../helpers/db.js";
import { projector } from "../helpers/kafka/processes.js";
import { appliedCount, status } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { expectedLogCounts, logCounts } from "../helpers/log-tables.js";
import { expectSameTables, replayReference, tableDigests } from "../helpers/reference.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";
import { WaitAborted, waitFor, withTimeout } from "../helpers/wait.js";

const scope = testScope();
let file: string;
let total: number;
let expected: Record<string, string>;
let refDb: TestDb;
let expectedLogs: Record<string, number>;

beforeAll(async () => {
  file = await streamFile(8000, 5);
  total = readEvents(file).length;
  const ref = await replayReference(file);
  scope.keep(ref.db);
  refDb = ref.db;
  expected = await tableDigests(ref.db);
  expectedLogs = expectedLogCounts(file);
});

/**
 * Emits the stream, starts a consumer, kills it with `signal` once some events are applied (and
 * far from all), restarts with --until-caught-up and checks the result against the clean one.
 */
async function killAndRestart(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  const { db, ctx, env } = await scope.kafka(6);
  const emitted = await projector(["emit", file], env);
  expect(emitted.status, emitted.stderr).toBe(0);

  // Small transactions: the stream takes many commits, so there is a "middle" to stop in.
  const first = scope.spawn(["run", "--batch-size", "100"], env);
  await waitFor(
    "the first events to be applied",
    async () => {
      if (!first.running)
        throw new WaitAborted(`run exited early: ${(await first.done).stderr.slice(-2000)}`);
      return (await appliedCount(db, ctx.group)) >= 500;
    },
    { timeoutMs: 60_000, intervalMs: 20 },
  );
  const stopped = await first.stop(signal, 20_000);
  if (signal === "SIGTERM") expect(stopped.status, stopped.stderr.slice(-3000)).toBe(0);
  else expect(stopped.status).toBeNull(); // killed, no exit code

  // Really mid-stream: some applied, many not.
  const applied = await appliedCount(db, ctx.group);
  expect(applied).toBeGreaterThanOrEqual(500);
  expect(applied).toBeLessThan(total - 1000);
  const mid = await status(env);
  expect(mid.total_lag).toBe(total - applied);

  // The restart applies exactly what was missing: nothing twice, nothing lost. (After SIGKILL the
  // dead member holds its partitions until its session times out, 30 s.)
  const r = await withTimeout(
    projector(["run", "--until-caught-up", "--json"], env),
    120_000,
    "the restarted run did not catch up",
  );
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  expect(summaryOf(r)).toMatchObject({ read: total - applied, dead_lettered: 0 });

  const st = await status(env);
  expect(st.total_lag).toBe(0);
  await expectSameTables(db, refDb, expected);
  expect(await logCounts(db)).toEqual(expectedLogs);
}

// Concurrent: the SIGKILL case mostly waits for the broker to expire the dead member's session.
describe.concurrent("a consumer stopped mid-stream and restarted", () => {
  it(
    "SIGTERM: exits 0, and the restart converges to the clean result",
    () => killAndRestart("SIGTERM"),
    180_000,
  );
  it(
    "SIGKILL: the restart converges to the clean result, no duplicates",
    () => killAndRestart("SIGKILL"),
    180_000,
  );
});
