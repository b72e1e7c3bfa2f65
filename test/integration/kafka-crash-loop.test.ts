import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { projector } from "../helpers/kafka/processes.js";
import { produceRaw } from "../helpers/kafka/produce-raw.js";
import { testScope } from "../helpers/kafka/scope.js";
import { summaryOf } from "../helpers/summary.js";
import { withTimeout } from "../helpers/wait.js";

/**
 * A crash-looping record is impossible: a record that once stopped `run` for good (an exit 70 after
 * minutes of CPU, met again by every restart, the offsets never moving) is now its own letter, the
 * records around it are applied, and a run restarted on it (from the beginning) meets it again and
 * goes on, keeping one letter per record.
 */
const scope = testScope();
const SPECS = fileURLToPath(new URL("../fixtures/hostile", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "projector-crash-loop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bag(id: string, data: Record<string, unknown>): string {
  return JSON.stringify({
    event_type: "bag.filled",
    event_id: `00000000-0000-4000-8000-${id.padStart(12, "0")}`,
    timestamp: "2025-01-01T00:00:00Z",
    entity_id: `bag-${id}`,
    data,
  });
}

type Letter = { position: string; reason: string; attempts: number };

describe("records that once crashed run, through Kafka", () => {
  it("are letters; run goes on, and goes on again when restarted on them", async () => {
    const { db, ctx, env } = await scope.kafka(2);
    const topic = `${ctx.prefix}bag`;
    const first = join(dir, "first.jsonl");
    writeFileSync(first, `${bag("1", { cents: 100, items: ["a"] })}\n`);
    const emitted = await projector(["emit", first], env); // creates the topic (2 partitions)
    expect(emitted.status, emitted.stderr).toBe(0);
    await produceRaw(ctx.brokers, [
      { topic, partition: 0, key: "bag-2", value: bag("2", { cents: "1e999999999" }) },
      { topic, partition: 0, key: "bag-3", value: bag("3", { cents: 250, items: ["b", "c"] }) },
      { topic, partition: 0, key: "bag-4", value: bag("4", { price: "9".repeat(70_000) }) },
      { topic, partition: 1, key: "bag-5", value: bag("5", { items: new Array(450_000).fill(1) }) },
      { topic, partition: 1, key: "bag-6", value: bag("6", { cents: `1.${"0".repeat(100_000)}` }) },
      { topic, partition: 1, key: "bag-7", value: bag("7", { tags: [{ color: "red", n: 5 }], items: [] }) },
      // Row-heavy but within the limit: applied, a transaction each (at most 250,000 values of rows).
      ...["8", "9", "10"].map((id) => ({
        topic,
        partition: 0,
        key: `bag-${id}`,
        value: bag(id, { items: new Array(83_333).fill(1) }),
      })),
    ]);
    const args = ["run", "--until-caught-up", "--json", "--projections", SPECS];

    const run = await withTimeout(projector(args, env), 120_000, "run did not get past the records");
    expect(run.status, run.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(run)).toMatchObject({ read: 10, applied: 6, dead_lettered: 4 });
    expect(summaryOf(run).batches).toBeGreaterThanOrEqual(3);
    expect(await db.rows("SELECT COUNT(*) n FROM bag_items")).toEqual([{ n: 1 + 2 + 3 * 83_333 }]);
    const letters = () =>
      db.rows<Letter>("SELECT position, reason, attempts FROM projector_dead_letters ORDER BY position");
    const once = await letters();
    expect(once.map((l) => l.attempts)).toEqual([1, 1, 1, 1]);
    const patterns = [
      /^bags\.amount ← .*: div: the number 1e999999999 has an exponent beyond the limit of ±400/,
      /^bags\.price ← \$\.data\.price: 9+ …\[\d+ characters, cut\]… 9+ is out of range for decimal\(12,2\)$/,
      /^bag_items: for_each \$\.data\.items has 450000 elements, 1350000 values .* over the limit of 250000/,
      /^bags\.amount ← .*: div: a number of 100002 characters is over the limit of 100 digits/,
    ];
    once.forEach((l, i) => expect(l.reason).toMatch(patterns[i]!));
    for (const l of once) expect(l.reason.length).toBeLessThanOrEqual(2000);
    const rows = await db.rows("SELECT bag_id, amount FROM bags ORDER BY bag_id");
    expect(rows).toEqual([
      { bag_id: "bag-1", amount: "1.00" },
      { bag_id: "bag-10", amount: null },
      { bag_id: "bag-3", amount: "2.50" },
      { bag_id: "bag-7", amount: null },
      { bag_id: "bag-8", amount: null },
      { bag_id: "bag-9", amount: null },
    ]);

    // Restarted: nothing left to read; the offsets moved past every record.
    const again = await withTimeout(projector(args, env), 120_000, "the restarted run did not end");
    expect(again.status, again.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(again)).toMatchObject({ read: 0 });

    // Restarted on the records themselves: it meets each again, and goes on (one letter per record).
    const replayed = await withTimeout(
      projector([...args, "--from-beginning"], env),
      120_000,
      "the run from the beginning did not get past the records",
    );
    expect(replayed.status, replayed.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(replayed)).toMatchObject({ read: 10, dead_lettered: 4 });
    expect((await letters()).map((l) => [l.position, l.attempts])).toEqual(once.map((l) => [l.position, 2]));
    expect(await db.rows("SELECT bag_id, amount FROM bags ORDER BY bag_id")).toEqual(rows);
  }, 420_000);
});
