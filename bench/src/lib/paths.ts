import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository root: the first folder above this file holding a package.json. Found by walking up
 * so that the same code works compiled (dist/bench/src/lib/) and from its source (bench/src/lib/).
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`bench: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** The repository root (the bench's children run there). */
export const ROOT = findRoot();
/** The CLI the stages run as child processes. */
export const CLI = join(ROOT, "bin", "projector.js");
/** Everything a run writes besides bench/results.json: streams, logs, per-run results (git-ignored). */
export const OUT = join(ROOT, "bench", "out");
/** Logs of every child process, one file per stage (and per CLI command). */
export const LOG_DIR = join(OUT, "logs");
/** The specs every stage projects. */
export const PROJECTIONS = join(ROOT, "projections");
/** The counters stage's specs (the counting domain; its plain twin is derived from them). */
export const COUNTERS_SPECS = join(ROOT, "bench", "counters");
/** The results of the last run of all stages (tracked). */
export const RESULTS = join(ROOT, "bench", "results.json");
