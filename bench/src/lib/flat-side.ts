import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type FlatRecord, type FlatWorkload, flatWorkload } from "./flat.js";
import type { KafkaResources } from "./kafka.js";
import { round } from "./numbers.js";
import { OUT, PROJECTIONS } from "./paths.js";
import type { StageContext } from "./stage.js";

let workload: { runId: string; w: FlatWorkload } | undefined;

/** The run's flat workload (built once, shared by the flat and peer stages). */
export function theFlatWorkload(ctx: StageContext): FlatWorkload {
  if (workload?.runId !== ctx.runId)
    workload = { runId: ctx.runId, w: flatWorkload(ctx.plan, ctx.stream, ctx.config.flat_events) };
  return workload.w;
}

/** Per run: the flat stage's CHECKSUM TABLE users, which the peer's must equal. */
export const flatChecksums = new Map<string, string>();

/** A specs folder holding user.yaml alone: `run` subscribes to the user topic only. */
export function userSpecs(): string {
  const dir = join(OUT, "flat-specs");
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(PROJECTIONS, "user.yaml"), join(dir, "user.yaml"));
  return dir;
}

/** Creates `topic` (registered for deletion) and produces the records, in order, acks from all replicas. */
export async function produceAll(
  kafka: KafkaResources,
  topic: string,
  partitions: number,
  records: readonly FlatRecord[],
): Promise<{ seconds: number }> {
  await kafka.createTopics([topic], partitions);
  const producer = kafka.client().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = performance.now();
  try {
    for (let i = 0; i < records.length; i += 250)
      await producer.send({
        topic,
        acks: -1,
        messages: records.slice(i, i + 250).map((r) => ({ key: r.key, value: r.value })),
      });
  } finally {
    await producer.disconnect();
  }
  return { seconds: (performance.now() - started) / 1000 };
}

/**
 * The figures both stages report for their measured window (first row seen to last): events/s over
 * it, the wall clock from the writer's start, the produce time, the table's checksum, the CPU split.
 */
export function windowFigures(
  w: FlatWorkload,
  partitions: number,
  seen: { firstRowAt: number; doneAt: number },
  started: number,
  extra: { produceSeconds: number; checksum: string; cpu: Record<string, number> },
) {
  const seconds = (seen.doneAt - seen.firstRowAt) / 1000;
  return {
    events: w.events,
    users: w.users,
    partitions,
    seconds: round(seconds, 3),
    events_per_second: Math.round(w.events / seconds),
    rows_per_second: Math.round(w.events / seconds),
    wall_seconds_from_start: round((seen.doneAt - started) / 1000, 3),
    produce_seconds: round(extra.produceSeconds, 3),
    checksum: extra.checksum,
    cpu: extra.cpu,
  };
}
