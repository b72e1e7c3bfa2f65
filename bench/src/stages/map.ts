import { loadPlan, mapLine, rowsOf } from "../lib/map-line.js";
import { round, rssMb } from "../lib/numbers.js";
import type { Stage } from "../lib/stage.js";
import { readLines } from "../lib/stream.js";
import { runWorker } from "../lib/worker-child.js";

interface MapArgs {
  readonly stream: string;
}

interface MapResult {
  readonly events: number;
  readonly ops: number;
  readonly rows: number;
  readonly skipped: number;
  readonly dead: number;
  readonly seconds: number;
  readonly events_per_second: number;
  readonly max_rss_mb: number;
}

/** JSON.parse + checkEnvelope + route + mapEvent for every line; no I/O in the timed part. */
function work({ stream }: MapArgs): MapResult {
  const plan = loadPlan();
  const lines = readLines(stream);
  let events = 0;
  let ops = 0;
  let rows = 0;
  let skipped = 0;
  let dead = 0;
  const started = performance.now();
  for (const line of lines) {
    const r = mapLine(plan, line);
    events++;
    if (r.kind === "event") {
      ops += r.ops.length;
      rows += rowsOf(r.ops);
    } else if (r.kind === "skip") skipped++;
    else dead++;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    events,
    ops,
    rows,
    skipped,
    dead,
    seconds: round(seconds, 3),
    events_per_second: Math.round(events / seconds),
    max_rss_mb: rssMb(),
  };
}

/** map: the pure mapping of the whole stream, in a worker child. */
export const map: Stage = {
  name: "map",
  label: "map (no I/O)",
  quiesce: false,
  work,
  async run(ctx) {
    const args: MapArgs = { stream: ctx.stream };
    const r = await runWorker<MapResult>(ctx.children, "map", args);
    return { ...r, notes: `${r.ops} ops, ${r.skipped} skipped, ${r.dead} dead; RSS holds the whole file` };
  },
};
