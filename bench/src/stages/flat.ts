import { CpuSplit, peakRssOf } from "../lib/connect.js";
import { checksum, watchUntil } from "../lib/flat.js";
import { flatChecksums, produceAll, theFlatWorkload, userSpecs, windowFigures } from "../lib/flat-side.js";
import { info } from "../lib/log.js";
import { connect } from "../lib/mysql.js";
import { round } from "../lib/numbers.js";
import { projector } from "../lib/projector-cli.js";
import type { Stage } from "../lib/stage.js";

/**
 * flat: the shape the peer can write too (users upserted by user_id from user.created /
 * user.updated), through `projector run`: the envelopes as they are, nested, on the user topic.
 * Measured from the first row committed to the last (the table polled), with the run's peak RSS.
 */
export const flat: Stage = {
  name: "flat",
  label: "flat users (projector)",
  quiesce: true,
  async run(ctx) {
    const { config, children } = ctx;
    await ctx.kafka.ensureBroker();
    const w = theFlatWorkload(ctx);
    const { db, url } = await ctx.databases.fresh("flat");
    const stageEnv = ctx.kafka.stageEnv("flat", url);
    const produced = await produceAll(
      ctx.kafka,
      `${stageEnv.prefix}user`,
      config.flat_partitions,
      w.envelopes,
    );
    info(
      `flat: ${w.events} events (${w.users} users) on ${config.flat_partitions} partitions, draining with run`,
    );
    const conn = await connect(url);
    let pid: number | undefined;
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakRssOf(pid));
    }, 200);
    let running = true;
    try {
      const started = performance.now();
      const run = projector(children, ["run", "--until-caught-up", "--json", "--projections", userSpecs()], {
        env: { ...stageEnv.env, PROJECTOR_PARTITIONS: String(config.flat_partitions) },
        log: "flat-run",
        onSpawn: (c) => {
          pid = c.pid;
        },
      }).finally(() => {
        running = false;
      });
      const cpu = new CpuSplit();
      const seen = await watchUntil(conn, db, w.expected.guarded, {
        timeoutMs: 600_000,
        alive: () => running,
        onFirstRow: () => cpu.begin(pid),
        onPoll: () => cpu.sampleWriter(pid),
      });
      const split = cpu.end((seen.doneAt - seen.firstRowAt) / 1000);
      const r = await run;
      const sum = await checksum(conn, db);
      flatChecksums.set(ctx.runId, sum);
      const figures = windowFigures(w, config.flat_partitions, seen, started, {
        produceSeconds: produced.seconds,
        checksum: sum,
        cpu: split,
      });
      return {
        ...figures,
        max_rss_mb: Math.max(peak, r.summary?.max_rss_mb ?? 0),
        summary: r.summary,
        notes: `${w.events} user events, ${w.users} users, ${config.flat_partitions} partitions; from start ${round(figures.wall_seconds_from_start, 1)} s`,
      };
    } finally {
      clearInterval(sampler);
      await conn.end();
    }
  },
};
