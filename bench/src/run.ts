// Throughput, latency and memory benchmark of the write path: `npm run bench` (builds first, then
// runs dist/bench/src/run.js). What each figure means, the knobs (BENCH_* env) and the file layout:
// bench/README.md.
//
// The runner: reads the config, finds the MySQL server, runs the selected stages of stages/registry.ts
// in order (each database stage after InnoDB has settled), prints the table and the ratios, writes
// bench/out/results-<run>.json (and bench/results.json when every stage was selected). Everything the
// bench creates (databases pbench_*, topics bench-<run>-*, consumer groups) is removed at the end,
// also on SIGINT/SIGTERM; the Kafka broker is started if needed and left running.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Children } from "./lib/children.js";
import { type BenchConfig, ConfigError, readConfig } from "./lib/config.js";
import { Databases } from "./lib/databases.js";
import { gitInfo } from "./lib/git.js";
import { KafkaResources } from "./lib/kafka.js";
import { info, messageOf } from "./lib/log.js";
import { machineInfo } from "./lib/machine.js";
import { loadPlan } from "./lib/map-line.js";
import { findMysqlUrl } from "./lib/mysql-server.js";
import { fmt } from "./lib/numbers.js";
import { LOG_DIR, RESULTS } from "./lib/paths.js";
import { quiesce } from "./lib/quiesce.js";
import { ratioRows } from "./lib/ratios.js";
import { printReport } from "./lib/report.js";
import { compareCounts, resultsDocument, writeResults } from "./lib/results.js";
import type { StageContext, StageOutcome } from "./lib/stage.js";
import { ensureStream } from "./lib/stream.js";
import { STAGES } from "./stages/registry.js";

/** `<yyyymmddhhmmss>-<pid>`: names the run's topics, groups and results file. */
function newRunId(): string {
  return `${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "")}-${process.pid}`;
}

/** Runs the selected stages in registry order; a failing stage is recorded and the next one runs. */
async function runStages(ctx: StageContext): Promise<Record<string, StageOutcome>> {
  const { config } = ctx;
  const outcomes: Record<string, StageOutcome> = {};
  for (const stage of STAGES) {
    const wanted = config.only ? config.only.includes(stage.name) : true;
    if (!wanted || stage.skip?.(config)) {
      outcomes[stage.name] = { status: "skipped" };
      continue;
    }
    const settled = stage.quiesce ? await quiesce(await ctx.databases.admin()) : undefined;
    const t0 = performance.now();
    info(`${stage.name}: running…`);
    try {
      const figures = await stage.run(ctx);
      const s: StageOutcome = { status: "ok", ...figures, ...(settled ? { quiesced: settled } : {}) };
      outcomes[stage.name] = s;
      info(
        `${stage.name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s — ${fmt(s.events_per_second)} events/s, ${fmt(s.rows_per_second)} rows/s, ${fmt(s.max_rss_mb)} MB`,
      );
    } catch (e) {
      outcomes[stage.name] = { status: "error", error: messageOf(e) };
      info(`${stage.name}: FAILED: ${messageOf(e)}`);
    }
  }
  return outcomes;
}

/** Stops the children and removes the run's databases, topics and groups; SIGINT/SIGTERM do it too. */
function cleanupOnExit(children: Children, databases: Databases, kafka: KafkaResources): () => Promise<void> {
  const cleanup = async () => {
    children.stopAll();
    await databases.dropAll(info);
    await kafka.deleteAll(info);
  };
  let interrupted = false;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      info(`${sig}: stopping children and cleaning up…`);
      cleanup().finally(() => process.exit(130));
    });
  }
  return cleanup;
}

/** The whole run; resolves with the exit code (1 when a stage failed, 2 on a bad config). */
async function main(): Promise<number> {
  let config: BenchConfig;
  try {
    config = readConfig(
      process.env,
      STAGES.map((s) => s.name),
    );
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`bench: ${e.message}`);
    return 2;
  }
  const runId = newRunId();
  const children = new Children();
  const databases = new Databases(await findMysqlUrl(), children);
  const kafka = new KafkaResources(config.kafka_brokers, runId, children);
  const cleanup = cleanupOnExit(children, databases, kafka);

  mkdirSync(LOG_DIR, { recursive: true });
  for (const stage of STAGES) rmSync(join(LOG_DIR, `${stage.name}.log`), { force: true });
  const plan = loadPlan();
  const startedAt = new Date();
  const machine = await machineInfo(() => databases.admin());
  const git = await gitInfo();
  const names = config.only ?? STAGES.map((s) => s.name);
  info(`run ${runId}: ${config.events} events, seed ${config.seed}; stages ${names.join(",")}`);
  const stream = await ensureStream(config.events, config.seed);
  const ctx: StageContext = { config, runId, plan, stream, counts: {}, children, databases, kafka };
  let stages: Record<string, StageOutcome>;
  try {
    stages = await runStages(ctx);
  } finally {
    await cleanup();
  }

  const checks = compareCounts(ctx.counts);
  const diff = Object.keys(checks.replay_kafka_count_diff ?? {});
  if (diff.length) info(`warning: replay and kafka row counts differ in ${diff.join(", ")}`);
  const ratios = ratioRows(stages, config);
  printReport(STAGES, stages, ratios);
  const doc = resultsDocument({
    startedAt,
    runId,
    config,
    stream,
    machine,
    git,
    stages,
    ratios,
    counts: ctx.counts,
    checks,
  });
  writeResults(runId, doc, config.only ? undefined : RESULTS);
  if (!config.only) info(`wrote bench/results.json (and bench/out/results-${runId}.json)`);
  else info(`BENCH_ONLY set: wrote bench/out/results-${runId}.json only`);
  return Object.values(stages).some((s) => s.status === "error") ? 1 : 0;
}

process.exitCode = await main();
process.exit(process.exitCode);
