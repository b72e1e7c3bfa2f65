import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projector } from "../helpers/kafka/processes.js";
import { appliedCount } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { actual, carts, expectedItems, killableEnv, sorted, streamFiles } from "../helpers/loyalty.js";
import { summaryOf } from "../helpers/summary.js";
import { WaitAborted, waitFor, withTimeout } from "../helpers/wait.js";

/**
 * Counters (`combine: add`/`subtract`) and aggregates (`aggregate:`) through Kafka: a stream in which 6 % of the events are
 * delivered again later (the same event_id at another offset, as an at-least-once producer sends
 * them), consumed by runs killed with SIGKILL mid-stream and restarted, then rebuilt: each event is
 * counted once. The expected balances are computed here, from the events, not by the engine.
 */
const SPECS = "docs/cookbook/loyalty";
const scope = testScope();
const dir = mkdtempSync(join(tmpdir(), "projector-counters-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("counters through Kafka", () => {
  it("redeliveries, SIGKILLed runs and a rebuild count each event once; aggregates follow", async () => {
    const { stream, expected, setupFile, streamFile } = streamFiles(dir, 3000, 11);
    const k = await scope.kafka(3);
    const { db, ctx } = k;
    const env = killableEnv(k.env);
    const specs = ["--projections", SPECS];
    expect((await projector(["emit", setupFile], env)).status).toBe(0);
    const first = await projector(["run", "--until-caught-up", "--json", ...specs], env);
    expect(first.status, first.stderr.slice(-2000)).toBe(0);
    const base = await appliedCount(db, ctx.group);
    expect((await projector(["emit", streamFile], env)).status).toBe(0);

    // Killed twice mid-stream (small transactions: many commits to stop between).
    let killedAt = base;
    for (const more of [400, 1000]) {
      const p = scope.spawn(["run", "--batch-size", "20", ...specs], env);
      const target = killedAt + more;
      await waitFor(
        `${target} records applied`,
        async () => {
          if (!p.running) throw new WaitAborted(`run exited early: ${(await p.done).stderr.slice(-2000)}`);
          return (await appliedCount(db, ctx.group)) >= target;
        },
        { timeoutMs: 90_000, intervalMs: 20 },
      );
      p.kill("SIGKILL");
      await p.done;
      killedAt = await appliedCount(db, ctx.group);
      expect(killedAt).toBeLessThan(base + stream.length);
    }
    const rest = await withTimeout(
      projector(["run", "--until-caught-up", "--json", ...specs], env),
      120_000,
      "the restarted run did not catch up",
    );
    expect(rest.status, rest.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(rest)).toMatchObject({ dead_lettered: 0 });
    expect(await appliedCount(db, ctx.group)).toBe(base + stream.length);
    expect(sorted(await actual(db))).toEqual(sorted(expected));
    expect(await carts(db)).toEqual({ wrong: [], items: expectedItems(expected) });
    // Every counting action of every distinct event is remembered once.
    const distinct = new Set(stream.map((l) => JSON.parse(l).event_id)).size;
    const [counted] = await db.rows<{ n: number }>(
      "SELECT (SELECT COUNT(*) FROM loyalty_accounts__counted) + (SELECT COUNT(*) FROM cart_lines__counted) n",
    );
    expect(Number(counted!.n)).toBe(distinct);

    // A rebuild reads the topics from the start (redeliveries included) into fresh tables.
    // (carts is not rebuilt: its aggregates are left to the live run; the rebuilt lines are the same.)
    const rebuilt = await projector(["rebuild", "loyalty_accounts", "cart_lines", "--json", ...specs], env);
    expect(rebuilt.status, rebuilt.stderr.slice(-3000)).toBe(0);
    // The rebuild reads every topic at once: a renewal (topic subscription) may come before its
    // member's join (topic loyalty) and wait as an unmatched letter; the join heals it.
    expect(summaryOf(rebuilt)).toMatchObject({ dead_lettered: 0 });
    expect(await db.rows("SELECT kind, reason FROM projector_dead_letters")).toEqual([]);
    expect(sorted(await actual(db))).toEqual(sorted(expected));
    // Its counted events went live with it: a redelivery after the swap is still not counted.
    const again = join(dir, "again.jsonl");
    writeFileSync(again, `${stream.slice(0, 50).join("\n")}\n`);
    expect((await projector(["emit", again], env)).status).toBe(0);
    const after = await projector(["run", "--until-caught-up", "--json", ...specs], env);
    expect(after.status, after.stderr.slice(-2000)).toBe(0);
    expect(summaryOf(after)).toMatchObject({ read: 50, already_counted: 50 });
    expect(sorted(await actual(db))).toEqual(sorted(expected));
    expect(await carts(db)).toEqual({ wrong: [], items: expectedItems(expected) });
  }, 400_000);
});
