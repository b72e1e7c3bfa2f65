import { fileURLToPath } from "node:url";
import { type Children, failure } from "./children.js";

/** The environment variable carrying a worker's arguments (JSON). */
export const WORKER_ARGS_ENV = "BENCH_WORKER_ARGS";
/** The stdout line of a worker that holds its result: `BENCH_RESULT <json>`. */
export const RESULT_PREFIX = "BENCH_RESULT ";
/** The worker entry point (bench/src/worker.ts, compiled beside this folder). */
const WORKER = fileURLToPath(new URL("../worker.js", import.meta.url));

/**
 * Runs an in-process stage's work in a child of its own (`node worker.js <stage>`), so that its peak
 * RSS is its own; resolves with the result the child printed. Its stderr goes to logs/<stage>.log.
 * The result crosses a JSON boundary: `R` is what the stage's worker returns.
 */
export async function runWorker<R>(children: Children, stage: string, args: object): Promise<R> {
  const r = await children.run([WORKER, stage], {
    env: { [WORKER_ARGS_ENV]: JSON.stringify(args) },
    log: stage,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
  if (r.code !== 0 || !line) throw failure(`worker ${stage}`, r);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as R;
}
