import { setTimeout as sleep } from "node:timers/promises";
import { lockWaitTimeoutSql } from "../compile/bulk-load.js";
import type { CompiledSpec } from "../compile/compile.js";
import { backoffDelay } from "../core/backoff.js";
import { log } from "../core/log.js";
import { UserError } from "../core/user-error.js";
import { ExecutorStopped } from "../run/executor.js";
import { GroupCommit } from "../run/group-commit.js";
import { OffsetsStore } from "../run/offsets.js";
import { Stats } from "../run/stats.js";
import { isAccessDenied } from "../sink/mysql-errors.js";
import { MysqlSink } from "../sink/mysql-sink.js";
import { createKafka, kafkaSettings } from "../source/kafka/config.js";
import { KafkaSource } from "../source/kafka/consumer.js";
import { lagEvents, lagSeconds } from "../source/kafka/lag.js";
import {
  BULK_LOAD_NEARLY_CAUGHT_UP,
  type DeferIndexes,
  type DeferredIndexes,
  deferIndexes,
  isBulkLoad,
} from "./bulk-load.js";
import { connectError } from "./database.js";
import { PURGE_SCOPE, RETRY_SCOPE } from "./dead-letters.js";
import { jobExecutor, startUp, stopOnSignals } from "./job.js";
import { kafkaUserError } from "./kafka-errors.js";
import { createMetrics, type LetterSample, readLetterSample } from "./metrics.js";
import { startMetricsServer } from "./metrics-server.js";
import { SpecDriftError, specsGeneration } from "./versions.js";

export interface RunJob {
  readonly mysqlUrl: string;
  readonly brokers?: string;
  readonly group?: string;
  readonly fromBeginning: boolean;
  readonly untilCaughtUp: boolean;
  /** Serve /metrics on this port (and host, loopback by default). */
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  readonly batchSize: number;
  readonly maxRecordBytes: number;
  readonly deadLetterUnknown: boolean;
  readonly lookahead: boolean;
  /** Write tables whose rows follow older specs (no refusal). */
  readonly allowSpecDrift: boolean;
  /**
   * Build the empty tables' secondary indexes once caught up (bulk-load.ts): `auto` when at least
   * BULK_LOAD_EVENTS are not applied yet as the run starts (default auto).
   */
  readonly deferIndexes?: DeferIndexes;
}

/** The exit code of a run stopped because a rebuild swapped tables in: its supervisor restarts it with the specs on disk. */
export const EXIT_SPECS_CHANGED = 3;

/** A deferred index build that failed is tried again after this long, its ALTER waiting this long for a table. */
const BUILD_RETRY_MS = 60_000;
const BUILD_LOCK_WAIT_S = 30;

/** How often an idle run looks whether a rebuild swapped tables in. */
const GENERATION_POLL_MS = 2_000;

/**
 * How long a refused run serving /metrics waits for a scrape before it exits: Prometheus then sees
 * why (`projector_run_refused`) even when a supervisor restarts the run over and over. The first
 * scrape ends the wait.
 */
const REFUSED_LINGER_MS = 30_000;

/**
 * Run: consume Kafka and project into MySQL until stopped, or until caught up. Resolves with the exit
 * code (0; 1 when the consumer stopped on a fatal error; EXIT_SPECS_CHANGED when a rebuild swapped
 * tables in) and the stats.
 */
export async function run(compiled: CompiledSpec, opts: RunJob): Promise<{ code: number; stats: Stats }> {
  const { batchSize, maxRecordBytes, metricsPort } = opts;
  const settings = kafkaSettings({
    ...(opts.brokers ? { brokers: opts.brokers } : {}),
    ...(opts.group ? { groupId: opts.group } : {}),
  });
  // Servers may come up after us (compose, restarts): connecting is retried, the process stays up.
  const sink = new MysqlSink(opts.mysqlUrl);
  const stats = new Stats();
  const controller = new AbortController();
  const executor = jobExecutor(
    compiled,
    sink,
    {
      stats,
      group: settings.groupId,
      deadLetterUnknown: opts.deadLetterUnknown,
      lookahead: opts.lookahead,
      signal: controller.signal,
    },
    "the batch (unavailable, or a table, column or grant missing)",
    ", offsets do not move",
  );
  // A backlog into empty tables: their secondary indexes are built once (nearly) caught up, or as
  // the run ends, instead of row by row; on a session of their own, so that the batches' reads and
  // the lag checks go on meanwhile. A build that fails (a long query holding a table) is tried again.
  const deferMode = opts.deferIndexes ?? "auto";
  let deferDecided = false;
  let deferred: DeferredIndexes | undefined;
  let building: Promise<void> | undefined;
  let lastFailure = 0;
  const buildDeferred = (final: boolean): Promise<void> => {
    const pending = deferred;
    if (building || !pending || (!final && Date.now() - lastFailure < BUILD_RETRY_MS))
      return building ?? Promise.resolve();
    building = (async () => {
      const own = new MysqlSink(opts.mysqlUrl);
      try {
        if (!final) await own.query(lockWaitTimeoutSql(BUILD_LOCK_WAIT_S));
        stats.indexesBuilt = await pending.build(own);
        deferred = undefined;
      } catch (e) {
        lastFailure = Date.now();
        log.warn(
          final
            ? "building the deferred indexes failed: the next run, replay or migrate adds them"
            : "building the deferred indexes failed: trying again in a minute",
          { error: String(e) },
        );
      } finally {
        await own.close();
        building = undefined;
      }
    })();
    return building;
  };
  const kafka = createKafka(settings);
  const projector = new KafkaSource(kafka, settings, {
    topics: compiled.topics.map((t) => settings.topicPrefix + t),
    offsets: new OffsetsStore(sink, settings.groupId),
    feed: new GroupCommit(executor, batchSize),
    writing: () => executor.ready,
    fromBeginning: opts.fromBeginning,
    untilCaughtUp: opts.untilCaughtUp,
    batchSize,
    maxRecordBytes,
    beforeConsuming: async (backlog) => {
      if (deferDecided) return; // a start retried
      deferDecided = true;
      if (!isBulkLoad(deferMode, { events: backlog })) return;
      deferred = await deferIndexes(
        sink,
        compiled.tables.map((t) => ({ name: t.name, spec: t.spec })),
      );
    },
    onLag: (behind, caughtUp) => {
      if (caughtUp || behind < BULK_LOAD_NEARLY_CAUGHT_UP) void buildDeferred(false);
    },
  });
  // The dead letters' gauges: read from MySQL every 10 s while the metrics are served (retries and
  // purges run in other processes; the table is where they meet).
  let letterSample: LetterSample | undefined;
  const declared = new Set(compiled.events.keys());
  const sampleLetters = async () => {
    try {
      letterSample = await readLetterSample(sink, declared, RETRY_SCOPE, PURGE_SCOPE);
    } catch (e) {
      log.debug("reading the dead letters for /metrics failed", { error: String(e) });
    }
  };
  const letterTimer = metricsPort !== undefined ? setInterval(() => void sampleLetters(), 10_000) : undefined;
  letterTimer?.unref();
  if (metricsPort !== undefined) void sampleLetters();
  /** Why the run refused to start (served as projector_run_refused), and the wait for a scrape to see it. */
  let refused: string | undefined;
  let scraped: (() => void) | undefined;
  const server =
    metricsPort !== undefined
      ? startMetricsServer(
          opts.metricsHost ?? "127.0.0.1",
          metricsPort,
          createMetrics({
            stats,
            lag: () =>
              projector.lag.map((l) => ({
                topic: l.topic,
                partition: l.partition,
                events: lagEvents(l),
                seconds: lagSeconds(l, Date.now()),
              })),
            ready: () => projector.ready,
            letters: () => letterSample,
            refused: () => refused,
          }),
          () => projector.ready,
          () => scraped?.(),
        )
      : undefined;
  /** Set when a batch found the specs generation moved (a rebuild swapped tables in). */
  let specsMoved: string | undefined;
  let generationTimer: NodeJS.Timeout | undefined;
  // From here on a signal stops the consumer after the batch in flight (before, it ends the process).
  const stopping = stopOnSignals((reason) => {
    log.info("stopping", { signal: reason });
    projector.stop().catch((e: unknown) => log.warn("stopping the consumer failed", { error: String(e) }));
  }, controller);
  const stop = (reason: string) => stopping.stop(reason);
  try {
    log.info("projector run", { group: settings.groupId, topics: projector.topics, mysql: sink.display });
    for (let attempt = 0; !controller.signal.aborted; attempt++) {
      try {
        await sink.connection();
        // A rebuild swapping tables in: wait, then the versions are those it recorded.
        await startUp(sink, compiled, {
          command: "projector run",
          allowDrift: opts.allowSpecDrift,
          swaps: controller.signal,
        });
        const generation = await specsGeneration(sink);
        const moved = (now: string) => {
          if (specsMoved !== undefined) return;
          specsMoved = now;
          log.error(
            "a rebuild swapped tables in with newer specs: stopping so that this run is restarted with the specs on disk (exit 3); nothing is lost, it goes on from MySQL's offsets",
            { generation_was: generation, generation_now: now },
          );
          stop("specs changed");
        };
        // Batches check it as they commit; an idle run finds out here.
        executor.fence(generation, moved);
        clearInterval(generationTimer);
        generationTimer = setInterval(() => {
          specsGeneration(sink).then(
            (now) => now !== generation && moved(now),
            () => undefined, // MySQL away: the batches' own check holds
          );
        }, GENERATION_POLL_MS);
        generationTimer.unref();
        if (controller.signal.aborted) break;
        await projector.start();
        break;
      } catch (e) {
        // What the user must fix (refused credentials, a statement migrate cannot run) does not
        // come right by waiting: exit 1 and say what to fix.
        const fatal =
          e instanceof UserError
            ? e
            : isAccessDenied(e)
              ? connectError(e)
              : kafkaUserError(e, settings.brokers)?.exitCode === 1
                ? kafkaUserError(e, settings.brokers)
                : undefined;
        if (fatal) {
          await projector.stop().catch(() => undefined);
          if (fatal instanceof SpecDriftError && server) {
            refused = "spec_drift";
            log.warn(
              "refusing to write tables whose rows follow older specs: serving /metrics until it is scraped (projector_run_refused), then exiting 1",
              { at_most_ms: REFUSED_LINGER_MS },
            );
            let timer: NodeJS.Timeout | undefined;
            await new Promise<void>((resolve) => {
              scraped = resolve;
              timer = setTimeout(resolve, REFUSED_LINGER_MS);
              controller.signal.addEventListener("abort", () => resolve(), { once: true });
            });
            clearTimeout(timer);
            scraped = undefined;
          }
          throw fatal;
        }
        const delay = backoffDelay(attempt, 250, 10_000);
        log.warn("cannot start consuming yet (MySQL or Kafka unavailable); retrying", {
          attempt: attempt + 1,
          delay_ms: delay,
          error: (e as Error).message,
        });
        await sleep(delay, undefined, { signal: controller.signal }).catch(() => undefined);
      }
    }
    // After a signal too: its stop() resolves this once the consumer has left the group.
    await projector.finished;
    // Stopped before catching up (or a build in flight failed): what was loaded gets its indexes.
    await buildDeferred(true);
    if (deferred) await buildDeferred(true);
    controller.abort(); // a stop of the consumer's own (caught up, or a fatal crash) ends the executor's retries too
  } catch (e) {
    if (!(e instanceof ExecutorStopped)) throw e;
  } finally {
    // The handlers stay (as before the jobs floor): a first signal while the process exits is
    // handled and changes nothing.
    server?.close();
    if (letterTimer) clearInterval(letterTimer);
    clearInterval(generationTimer);
    await sink.close();
  }
  stats.serverWarnings = sink.warnings;
  // kafkajs keeps retrying an unreachable broker after stop() gave up on it: exit anyway, once the exit code is set.
  if (projector.abandoned) setTimeout(() => process.exit(), 500).unref();
  const code = specsMoved !== undefined ? EXIT_SPECS_CHANGED : projector.fatal !== undefined ? 1 : 0;
  return { code, stats };
}
