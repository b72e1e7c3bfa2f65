import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projector } from "../helpers/kafka/processes.js";
import { appliedCount } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { checksums, narrowedSpecs } from "../helpers/letters.js";
import { logCounts } from "../helpers/log-tables.js";
import { expectSameTables, replayReference, tableDigests } from "../helpers/reference.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";
import { waitFor } from "../helpers/wait.js";

const scope = testScope();
const files: string[] = [];
afterAll(() => {
  for (const f of files) rmSync(f, { recursive: true, force: true });
});

describe("dead-letters retry of Kafka letters while projector run consumes", () => {
  it("loses nothing and applies nothing twice: the tables equal a clean replay of the whole stream", async () => {
    const first = await streamFile(3000, 31);
    const second = await streamFile(30_000, 32, false);
    const whole = join(tmpdir(), `projector-retry-whole-${process.pid}.jsonl`);
    writeFileSync(whole, readFileSync(first, "utf8") + readFileSync(second, "utf8"));
    files.push(whole);
    const [n1, n2] = [readEvents(first).length, readEvents(second).length];
    const logins = readEvents(first).filter((e) => e.event_type === "user.login").length;
    const narrow = narrowedSpecs(
      "user.yaml",
      "ip_address: { type: varchar(45), nullable: true }",
      "ip_address: { type: varchar(3), nullable: true }",
    );
    files.push(narrow);
    const { db, ctx, env } = await scope.kafka(3);
    const reference = replayReference(whole).then((r) => scope.keep(r.db));

    // The first part, projected with the narrow spec: every login is a letter, at its Kafka position.
    expect((await projector(["emit", first], env)).status).toBe(0);
    const narrowRun = await projector(["run", "--until-caught-up", "--json", "--projections", narrow], env);
    expect(narrowRun.status, narrowRun.stderr.slice(-2000)).toBe(0);
    expect(summaryOf(narrowRun)).toMatchObject({ read: n1, dead_lettered: logins });
    const letters = await db.rows<{ source: string; position: string }>(
      "SELECT source, position FROM projector_dead_letters WHERE kind = 'failed' ORDER BY id LIMIT 1",
    );
    expect(letters[0]!.source).toBe(`${ctx.prefix}user`);
    expect(letters[0]!.position).toMatch(/^partition \d offset \d+$/);

    // Fixed and migrated; a run with the fixed spec consumes the second part while the letters are retried.
    expect((await projector(["migrate"], env)).status).toBe(0);
    const run = scope.spawn(["run"], env);
    const emitting = projector(["emit", second], env);
    await waitFor(
      "the run to consume the second part",
      async () => (await appliedCount(db, ctx.group)) > n1 + 500,
      {
        timeoutMs: 60_000,
      },
    );
    // The run's progress, sampled while the retry runs: it goes on committing meanwhile.
    const retrying = projector(["dead-letters", "retry", "--json", "--batch-size", "7"], env);
    let finished = false;
    void retrying.then(() => {
      finished = true;
    });
    const seen = new Set<number>();
    while (!finished) {
      seen.add(await appliedCount(db, ctx.group));
      await new Promise((r) => setTimeout(r, 50));
    }
    const retried = await retrying;
    expect(retried.status, retried.stderr).toBe(0);
    expect([...seen].filter((n) => n < n1 + n2).length).toBeGreaterThan(1);
    // Every login resolved. (The second part reuses order numbers of the first: those orders are
    // rejected by the run, in the clean replay too, and fail again if their turn came.)
    expect(JSON.parse(retried.stdout)).toMatchObject({ resolved: logins, unmatched_again: 2 });
    expect((await emitting).status).toBe(0);
    await waitFor("the run to catch up", async () => (await appliedCount(db, ctx.group)) === n1 + n2, {
      timeoutMs: 90_000,
    });
    const stopped = await run.stop("SIGTERM");
    expect(stopped.status, stopped.stderr.slice(-2000)).toBe(0);

    const ref = await reference;
    await expectSameTables(db, ref, await tableDigests(ref));
    expect(await checksums(db)).toEqual(await checksums(ref));
    // Every log row once (a twice-applied event would be a second row with its event id).
    await logCounts(db);
    // Left: the letters a clean replay leaves too: examples.jsonl's two updates of promotions never
    // created, and the orders whose number another order has.
    const left = "SELECT kind, event_id, event_type FROM projector_dead_letters ORDER BY event_id";
    expect(await db.rows(left)).toEqual(await ref.rows(left));
    expect(
      await db.rows(
        "SELECT kind, COUNT(*) n FROM projector_dead_letters WHERE kind = 'unmatched' OR reason NOT LIKE '%unique key (order_number)%' GROUP BY kind",
      ),
    ).toEqual([{ kind: "unmatched", n: 2 }]);
  }, 240_000);
});
