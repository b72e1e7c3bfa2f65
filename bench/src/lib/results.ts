import { statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { BenchConfig } from "./config.js";
import type { GitInfo } from "./git.js";
import type { MachineInfo } from "./machine.js";
import { round } from "./numbers.js";
import { OUT, ROOT } from "./paths.js";
import type { Ratio } from "./ratios.js";
import type { StageOutcome, TableCounts } from "./stage.js";

/** Cross-stage sanity checks (`checks` in results.json). */
export interface Checks {
  replay_kafka_same_row_counts?: boolean;
  replay_kafka_count_diff?: Record<string, { replay: number | undefined; kafka: number | undefined }>;
}

/** The same stream through replay and through Kafka gives the same row counts (when both ran). */
export function compareCounts(counts: Readonly<Record<string, TableCounts>>): Checks {
  const checks: Checks = {};
  const { replay, kafka } = counts;
  if (replay && kafka) {
    const diff = Object.keys(replay).filter((t) => replay[t] !== kafka[t]);
    checks.replay_kafka_same_row_counts = diff.length === 0;
    if (diff.length)
      checks.replay_kafka_count_diff = Object.fromEntries(
        diff.map((t) => [t, { replay: replay[t], kafka: kafka[t] }]),
      );
  }
  return checks;
}

/** Everything a run records. */
export interface RunRecord {
  readonly startedAt: Date;
  readonly runId: string;
  readonly config: BenchConfig;
  /** The generated stream every stage used. */
  readonly stream: string;
  readonly machine: MachineInfo;
  readonly git: GitInfo | undefined;
  readonly stages: Readonly<Record<string, StageOutcome>>;
  readonly ratios: readonly Ratio[];
  readonly counts: Readonly<Record<string, TableCounts>>;
  readonly checks: Checks;
}

/** The results.json document of a run (duration: until now). */
export function resultsDocument(run: RunRecord): object {
  return {
    date: run.startedAt.toISOString(),
    run_id: run.runId,
    duration_seconds: round((Date.now() - run.startedAt.getTime()) / 1000, 1),
    config: {
      ...run.config,
      stream: relative(ROOT, run.stream),
      stream_bytes: statSync(run.stream).size,
    },
    machine: run.machine,
    git: run.git,
    stages: run.stages,
    ratios: Object.fromEntries(
      run.ratios.map(({ key, name, value, target, op, pass }) => [
        key,
        { name, value: round(value, 3), target, op, pass },
      ]),
    ),
    table_counts: run.counts,
    checks: run.checks,
  };
}

/**
 * Writes bench/out/results-<run>.json, and also `alsoTo` (bench/results.json, when every stage was
 * selected). Returns the per-run file.
 */
export function writeResults(runId: string, doc: object, alsoTo: string | undefined): string {
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  const file = join(OUT, `results-${runId}.json`);
  writeFileSync(file, text);
  if (alsoTo) writeFileSync(alsoTo, text);
  return file;
}
