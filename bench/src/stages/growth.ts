import { info } from "../lib/log.js";
import { fmt } from "../lib/numbers.js";
import { projector, summaryFigures } from "../lib/projector-cli.js";
import type { Stage } from "../lib/stage.js";
import { ensureStream } from "../lib/stream.js";

/** One point of the curve: a stream size and what replay made of it. */
export interface GrowthPoint {
  readonly events: number;
  readonly events_per_second: number;
  readonly rows_per_second: number;
  readonly seconds: number;
  readonly max_rss_mb: number;
}

/**
 * growth: the cost per event as the tables grow. The same generator's stream at each size of
 * BENCH_GROWTH (200k and 1M by default; 5M when asked), each replayed into a fresh database; the
 * figure is events/s at the largest size against the first (catching up on months of history is a
 * replay or a rebuild of the largest).
 */
export const growth: Stage = {
  name: "growth",
  label: "growth (replay)",
  quiesce: true,
  skip: (config) => config.growth.length === 0,
  async run(ctx) {
    const { config } = ctx;
    const points: GrowthPoint[] = [];
    for (const size of config.growth) {
      const file = await ensureStream(size, config.seed);
      const { url } = await ctx.databases.fresh("growth");
      info(`growth: replaying ${size} events`);
      const r = await projector(ctx.children, ["replay", file, "--json"], {
        env: { MYSQL_URL: url },
        log: `growth-${size}`,
      });
      const f = summaryFigures(r, "replay");
      if (f.events !== size) throw new Error(`growth: replay read ${f.events} of ${size} events`);
      points.push({
        events: size,
        events_per_second: f.events_per_second,
        rows_per_second: f.rows_per_second,
        seconds: f.seconds,
        max_rss_mb: f.max_rss_mb,
      });
      info(`growth: ${size} events at ${f.events_per_second} events/s`);
    }
    const first = points[0]!;
    const last = points[points.length - 1]!;
    return {
      events_per_second: last.events_per_second,
      rows_per_second: last.rows_per_second,
      max_rss_mb: Math.max(...points.map((p) => p.max_rss_mb)),
      growth: points,
      growth_ratio: last.events_per_second / first.events_per_second,
      notes: points.map((p) => `${fmt(p.events)}: ${fmt(p.events_per_second)} ev/s`).join(" → "),
    };
  },
};
