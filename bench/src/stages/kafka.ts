import { emitFile } from "../lib/emit.js";
import { info } from "../lib/log.js";
import { projector, summaryFigures } from "../lib/projector-cli.js";
import type { Stage } from "../lib/stage.js";

/** kafka: the stream emitted to fresh topics, then drained by `run --until-caught-up`. */
export const kafka: Stage = {
  name: "kafka",
  label: "kafka",
  quiesce: true,
  async run(ctx) {
    const { config, children } = ctx;
    await ctx.kafka.ensureBroker();
    const { db, url } = await ctx.databases.fresh("kafka");
    const stageEnv = ctx.kafka.stageEnv("kafka", url);
    const emitted = await emitFile(
      children,
      ctx.kafka,
      "kafka",
      ctx.stream,
      stageEnv,
      ctx.plan,
      config.events,
    );
    info(
      `kafka: emitted ${emitted.events} events in ${emitted.seconds} s, draining with run --until-caught-up`,
    );
    const r = await projector(children, ["run", "--until-caught-up", "--json"], {
      env: stageEnv.env,
      log: "kafka-run",
    });
    const f = summaryFigures(r, "run");
    ctx.counts.kafka = await ctx.databases.tableCounts(db, ctx.plan);
    const missing = f.events < config.events ? `read only ${f.events} of ${config.events}! ` : "";
    return {
      ...f,
      emit: emitted,
      notes: `${missing}wall ${f.wall_events_per_second} ev/s; emit ${emitted.events_per_second} ev/s; ${f.summary.dead_lettered} dead`,
    };
  },
};
