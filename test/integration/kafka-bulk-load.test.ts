import { describe, expect, it } from "vitest";
import { deferrableIndexes } from "../../src/compile/bulk-load.js";
import { compile } from "../../src/compile/compile.js";
import { indexesOf } from "../helpers/db.js";
import { projector } from "../helpers/kafka/processes.js";
import { testScope } from "../helpers/kafka/scope.js";
import { expectSameTables, replayReference, tableDigests } from "../helpers/reference.js";
import { loadSpecDirOrThrow } from "../helpers/specs.js";
import { streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";
import { waitFor } from "../helpers/wait.js";

const scope = testScope();
const catalog = compile(loadSpecDirOrThrow("projections"));
const deferrable = catalog.tables.reduce((n, t) => n + deferrableIndexes(t.spec).length, 0);

describe("projector run with a backlog into empty tables", () => {
  it("builds the deferred indexes once caught up, while it keeps running, and equals a replay", async () => {
    const file = await streamFile(3_000, 12);
    const { db, env } = await scope.kafka(3);
    const ref = scope.keep((await replayReference(file)).db);
    const full = await indexesOf(ref);
    expect((await projector(["emit", file], env)).status).toBe(0);

    const run = scope.spawn(["run", "--defer-indexes", "always", "--json"], env);
    // Built at catch-up, not at exit: the process is still running when every event is applied and
    // every index is there.
    const [want] = await ref.rows<{ n: number }>("SELECT COUNT(*) n FROM order_events");
    await waitFor(
      "caught up, with the deferred indexes built",
      async () => {
        const [have] = await db.rows<{ n: number }>("SELECT COUNT(*) n FROM order_events");
        return Number(have?.n) === Number(want?.n) && (await indexesOf(db)).length === full.length;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    expect(run.running).toBe(true);
    expect(await indexesOf(db)).toEqual(full);
    const r = await run.stop("SIGTERM");
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(summaryOf(r).indexes_built_after_load).toMatchObject({ built: deferrable });
    await expectSameTables(db, ref, await tableDigests(ref));
  }, 180_000);

  it("defers nothing under auto when the backlog is small", async () => {
    const file = await streamFile(1_000, 13);
    const { db, env } = await scope.kafka(2);
    expect((await projector(["emit", file], env)).status).toBe(0);
    const r = await projector(["run", "--until-caught-up", "--json"], env);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(summaryOf(r).read).toBeGreaterThan(1_000);
    expect(summaryOf(r).indexes_built_after_load).toBeUndefined();
    expect((await indexesOf(db)).length).toBeGreaterThan(deferrable);
  }, 120_000);
});
