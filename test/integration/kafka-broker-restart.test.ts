import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../helpers/cli.js";
import { createTestDb, type TestDb } from "../helpers/db.js";
import { kafkaCtx } from "../helpers/kafka/context.js";
import { privateBroker } from "../helpers/kafka/private-broker.js";
import { type Proc, projector, spawnProjector } from "../helpers/kafka/processes.js";
import { appliedCount, status } from "../helpers/kafka/progress.js";
import { expectedLogCounts, logCounts } from "../helpers/log-tables.js";
import { freePort, httpGet, metricSamples } from "../helpers/metrics-http.js";
import { expectSameTables, replayReference, tableDigests } from "../helpers/reference.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";
import { WaitAborted, waitFor } from "../helpers/wait.js";

// The broker this test stops and starts is its own (port 9192, home .kafka-restart-test/), so the
// other test files, which use the main broker on 9092, never see an outage, in parallel or not.
const HOME = join(REPO, ".kafka-restart-test");
const broker = privateBroker(9192, HOME);
const dbs: TestDb[] = [];
const procs: Proc[] = [];
let file: string;
let total: number;
let ref: TestDb;

beforeAll(async () => {
  const [, f] = await Promise.all([broker.start(), streamFile(6000, 13)]);
  file = f;
  total = readEvents(file).length;
  ref = (await replayReference(file)).db;
  dbs.push(ref);
}, 180_000);

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  try {
    await broker.stop();
    rmSync(join(HOME, "data"), { recursive: true, force: true }); // a fresh log dir next time
  } finally {
    for (const db of dbs) await db.drop().catch(() => undefined);
  }
}, 120_000);

describe("the broker goes away while projector run consumes", () => {
  it("the run stays up, reports not-ready, recovers and converges; SIGTERM exits 0", async () => {
    const db = await createTestDb();
    dbs.push(db);
    const ctx = kafkaCtx(broker.address);
    const env = ctx.env(db, 3);
    const emitted = await projector(["emit", file], env);
    expect(emitted.status, emitted.stderr).toBe(0);

    const port = await freePort();
    const run = spawnProjector(["run", "--metrics-port", String(port), "--batch-size", "50", "--json"], env);
    procs.push(run);
    await waitFor("some events to be applied", async () => (await appliedCount(db, ctx.group)) >= 300, {
      timeoutMs: 60_000,
      intervalMs: 20,
    });
    expect((await httpGet(port, "/readyz")).status).toBe(200);

    await broker.stop();
    try {
      expect(await appliedCount(db, ctx.group)).toBeLessThan(total); // mid-stream
      // Alive, but not ready while no broker answers.
      await waitFor(
        "/readyz 503 while the broker is down",
        async () => (await httpGet(port, "/readyz")).status === 503,
        {
          timeoutMs: 30_000,
          intervalMs: 250,
        },
      );
      expect(metricSamples((await httpGet(port, "/metrics")).body).get("projector_ready")).toBe(0);
      expect((await httpGet(port, "/healthz")).status).toBe(200);
      expect(run.running).toBe(true);
    } finally {
      await broker.start();
    }

    // Back: it rejoins and finishes the stream by itself.
    const expected = await tableDigests(ref);
    await waitFor(
      "the tables to equal the replay and the lag to be 0",
      async () => {
        if (!run.running) throw new WaitAborted(`run exited: ${(await run.done).stderr.slice(-2000)}`);
        if ((await appliedCount(db, ctx.group)) < total) return false;
        const s = await status(env);
        return s.total_lag === 0 && JSON.stringify(await tableDigests(db)) === JSON.stringify(expected);
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    await waitFor("/readyz 200 again", async () => (await httpGet(port, "/readyz")).status === 200, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    expect(metricSamples((await httpGet(port, "/metrics")).body).get("projector_ready")).toBe(1);

    const r = await run.stop("SIGTERM", 30_000);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    // Every event read once: what was applied before the outage is not applied again.
    expect(summaryOf(r)).toMatchObject({ read: total, dead_lettered: 0 });
    await expectSameTables(db, ref, expected);
    expect(await logCounts(db)).toEqual(expectedLogCounts(file));
  }, 240_000);
});
