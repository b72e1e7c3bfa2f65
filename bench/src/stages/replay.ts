import { projector, summaryFigures } from "../lib/projector-cli.js";
import type { Stage } from "../lib/stage.js";

/** replay: `projector replay <stream> --json` into a fresh, migrated database. */
export const replay: Stage = {
  name: "replay",
  label: "replay",
  quiesce: true,
  async run(ctx) {
    const { db, url } = await ctx.databases.fresh("replay");
    const r = await projector(ctx.children, ["replay", ctx.stream, "--json"], {
      env: { MYSQL_URL: url },
      log: "replay",
    });
    const f = summaryFigures(r, "replay");
    const s = f.summary;
    ctx.counts.replay = await ctx.databases.tableCounts(db, ctx.plan);
    return {
      ...f,
      notes: `wall ${f.wall_events_per_second} ev/s; ${s.dead_lettered} dead, ${s.stale} stale, ${s.skipped} skipped`,
    };
  },
};
