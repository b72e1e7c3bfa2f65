import { describe, expect, it } from "vitest";
import { projector, spawnProjector } from "../helpers/kafka/processes.js";
import { status } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { expectedLogCounts, logCounts } from "../helpers/log-tables.js";
import { expectSameTables, projectedTables, replayReference, tableDigests } from "../helpers/reference.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { outcomes, summaryOf } from "../helpers/summary.js";

const scope = testScope();

describe("projector run: Kafka → MySQL equals replay", () => {
  it("projects examples.jsonl + 20,000 generated events exactly as a replay of the same file", async () => {
    const file = await streamFile(20_000, 7);
    const events = readEvents(file);
    expect(events.length).toBe(20_044);
    const { db, ctx, env } = await scope.kafka(6);

    // The reference replays while the stream goes through Kafka.
    const reference = replayReference(file).then((r) => {
      scope.keep(r.db);
      return r;
    });

    const emitted = await projector(["emit", file], env);
    expect(emitted.status, emitted.stderr).toBe(0);
    expect(emitted.stdout).toContain(`emitted ${events.length} events`);

    const run = spawnProjector(["run", "--until-caught-up", "--json"], env);
    const r = await run.wait(120_000);
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const summary = summaryOf(r);

    const ref = await reference;
    // Same outcome counters as the replay: every event read once, nothing dead-lettered.
    expect(outcomes(summary)).toEqual(outcomes(ref.summary));
    expect(summary).toMatchObject({ read: events.length, dead_lettered: 0, skipped: 0 });
    // Transactions were planned while the one before was written (and the tables still equal the replay's).
    expect(summary.batches_planned_ahead).toBeGreaterThan(0);

    const st = await status(env);
    expect(st.kafka_error).toBeUndefined();
    expect(st.total_lag).toBe(0);
    expect(st.partitions).toHaveLength(7 * 6);
    for (const p of st.partitions) {
      expect(p.topic.startsWith(ctx.prefix)).toBe(true);
      expect(p.lag).toBe(0);
      expect(p.next_offset).toBe(p.high_watermark);
    }
    expect(st.partitions.reduce((n, p) => n + Number(p.high_watermark), 0)).toBe(events.length);
    expect(st.dead_letters).toBe(0);

    // Every projected table is identical, and none of them is trivially empty.
    const expected = await tableDigests(ref.db);
    expect(Object.keys(expected)).toEqual(await projectedTables());
    for (const [t, d] of Object.entries(expected)) expect(d, t).not.toMatch(/^0 rows/);
    await expectSameTables(db, ref.db, expected);
    // status counts the same rows.
    expect(st.rows).toEqual(
      Object.fromEntries(Object.entries(expected).map(([t, d]) => [t, Number(d.split(" ")[0])])),
    );

    // Log tables: one row per source event, no duplicates.
    expect(await logCounts(db)).toEqual(expectedLogCounts(file));
  }, 150_000);
});
