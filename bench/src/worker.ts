// The worker child of an in-process stage: `node dist/bench/src/worker.js <stage>`, started by the
// runner (lib/worker-child.ts) so that the stage's peak RSS is its own. Reads its arguments from
// BENCH_WORKER_ARGS (JSON), prints `BENCH_RESULT <json>` on stdout; a failure goes to stderr (the
// stage's log) with exit code 1.
import { RESULT_PREFIX, WORKER_ARGS_ENV } from "./lib/worker-child.js";
import { stageNamed } from "./stages/registry.js";

const name = process.argv[2] ?? "";
try {
  const work = stageNamed(name)?.work;
  if (!work) throw new Error(`no stage ${JSON.stringify(name)} with work for a worker`);
  // The arguments cross a JSON boundary: they are what the stage's run() passed to runWorker.
  const result = await work(JSON.parse(process.env[WORKER_ARGS_ENV] ?? "{}") as never);
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (e) {
  process.stderr.write(`bench worker ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}
