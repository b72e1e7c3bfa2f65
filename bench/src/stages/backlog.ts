import { emitFile } from "../lib/emit.js";
import { info } from "../lib/log.js";
import { projector, summaryFigures } from "../lib/projector-cli.js";
import type { Stage } from "../lib/stage.js";
import { ensureStream } from "../lib/stream.js";

/** backlog: BENCH_BACKLOG events emitted, then drained; its figure is the run's peak RSS. */
export const backlog: Stage = {
  name: "backlog",
  label: "backlog",
  quiesce: true,
  skip: (config) => config.backlog === 0,
  async run(ctx) {
    const { config, children } = ctx;
    await ctx.kafka.ensureBroker();
    const file = await ensureStream(config.backlog, config.seed);
    const { url } = await ctx.databases.fresh("backlog");
    const stageEnv = ctx.kafka.stageEnv("backlog", url);
    info(`backlog: emitting ${config.backlog} events`);
    const emitted = await emitFile(children, ctx.kafka, "backlog", file, stageEnv, ctx.plan, config.backlog);
    info(`backlog: emitted in ${emitted.seconds} s (${emitted.events_per_second} ev/s), draining`);
    const r = await projector(children, ["run", "--until-caught-up", "--json"], {
      env: stageEnv.env,
      log: "backlog-run",
    });
    const f = summaryFigures(r, "run");
    const missing = f.events < config.backlog ? `read only ${f.events} of ${config.backlog}! ` : "";
    return {
      ...f,
      emit: emitted,
      notes: `${missing}${f.events} events; wall ${f.wall_events_per_second} ev/s; emit ${emitted.events_per_second} ev/s`,
    };
  },
};
