import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projector } from "../helpers/kafka/processes.js";
import { appliedCount } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { actual, carts, expectedItems, killableEnv, sorted, streamFiles } from "../helpers/loyalty.js";
import { freePort, httpGet, metricSamples } from "../helpers/metrics-http.js";
import { summaryOf } from "../helpers/summary.js";
import { WaitAborted, waitFor, withTimeout } from "../helpers/wait.js";

/**
 * Early events that heal, through Kafka: a loyalty stream (points, renewals, cart lines, with
 * redeliveries) arrives before the members and carts it counts into. Every event waits as an
 * unmatched letter; then the members and carts arrive, and a new run (which reads the waiting
 * letters at start), killed once with SIGKILL while it heals, applies each letter once, in the
 * transaction that creates its row. The balances are computed here from the events.
 */
const SPECS = ["--projections", "docs/cookbook/loyalty"];
const scope = testScope();
const dir = mkdtempSync(join(tmpdir(), "projector-healing-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface StatusWithCounters {
  unmatched_letters: number | null;
  events: Record<string, Record<string, Record<string, number>>>;
}

async function statusOf(env: Record<string, string>): Promise<StatusWithCounters> {
  const r = await projector(["status", "--json"], env);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusWithCounters;
}

/** The group's counters of one outcome, over event types. */
function outcome(s: StatusWithCounters, group: string, name: string): number {
  return Object.values(s.events[group] ?? {}).reduce((n, byOutcome) => n + (byOutcome[name] ?? 0), 0);
}

describe("early events that heal, through Kafka", () => {
  it("counts that came before their rows wait, then heal once when the rows arrive, across a SIGKILL", async () => {
    const { stream, expected, setupFile, streamFile } = streamFiles(dir, 1500, 29);
    const k = await scope.kafka(3);
    const { db, ctx } = k;
    const env = killableEnv(k.env);

    // The counts first: nothing to count into, every event waits.
    expect((await projector(["emit", streamFile], env)).status).toBe(0);
    const early = await projector(["run", "--until-caught-up", "--json", ...SPECS], env);
    expect(early.status, early.stderr.slice(-2000)).toBe(0);
    expect(summaryOf(early)).toMatchObject({ read: stream.length, unmatched_kept: stream.length });
    expect(await db.rows("SELECT COUNT(*) n FROM loyalty_accounts")).toEqual([{ n: 0 }]);
    const waiting = await statusOf(env);
    expect(waiting.unmatched_letters).toBe(stream.length);

    // Then the members and carts: a run heals as it creates them. Killed once mid-way.
    expect((await projector(["emit", setupFile], env)).status).toBe(0);
    const port = await freePort();
    const p = scope.spawn(["run", "--batch-size", "5", "--metrics-port", String(port), ...SPECS], env);
    const target = stream.length + 20;
    await waitFor(
      `${target} records applied`,
      async () => {
        if (!p.running) throw new WaitAborted(`run exited early: ${(await p.done).stderr.slice(-2000)}`);
        return (await appliedCount(db, ctx.group)) >= target;
      },
      { timeoutMs: 90_000, intervalMs: 20 },
    );
    // /metrics: what healed so far, and the letters that wait (read from MySQL every 10 s).
    const samples = [...metricSamples((await httpGet(port, "/metrics")).body)];
    const sum = (prefix: string, label = "") =>
      samples.filter(([k]) => k.startsWith(prefix) && k.includes(label)).reduce((n, [, v]) => n + v, 0);
    expect(sum("projector_letters_healed_total{")).toBeGreaterThan(0);
    expect(sum("projector_dead_letters{", 'kind="unmatched"')).toBeGreaterThan(0);
    p.kill("SIGKILL");
    await p.done;
    const [left] = await db.rows<{ n: number }>("SELECT COUNT(*) n FROM projector_dead_letters");
    expect(Number(left!.n)).toBeLessThan(stream.length);
    expect(Number(left!.n)).toBeGreaterThan(0);

    const rest = await withTimeout(
      projector(["run", "--until-caught-up", "--json", ...SPECS], env),
      120_000,
      "the restarted run did not catch up",
    );
    expect(rest.status, rest.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(rest)).toMatchObject({ dead_lettered: 0, unmatched_kept: 0 });
    expect(summaryOf(rest).healed).toBe(Number(left!.n));
    expect(await db.rows("SELECT kind, reason FROM projector_dead_letters")).toEqual([]);
    expect(sorted(await actual(db))).toEqual(sorted(expected));
    expect(await carts(db)).toEqual({ wrong: [], items: expectedItems(expected) });

    // status: none waits; every letter healed once, in all (the killed run's commits too).
    const after = await statusOf(env);
    expect(after.unmatched_letters).toBe(0);
    expect(outcome(after, ctx.group, "healed")).toBe(stream.length);
    expect(outcome(after, ctx.group, "unmatched_kept")).toBe(stream.length);
  }, 300_000);
});
