import type { Stage } from "../lib/stage.js";
import { backlog } from "./backlog.js";
import { counters } from "./counters.js";
import { flat } from "./flat.js";
import { growth } from "./growth.js";
import { kafka } from "./kafka.js";
import { latency } from "./latency.js";
import { map } from "./map.js";
import { naive } from "./naive.js";
import { peer } from "./peer.js";
import { replay } from "./replay.js";
import { sink } from "./sink.js";

/**
 * Every stage, in the order they run and appear in the table. A new stage is a file beside these
 * exporting a Stage, and one line here.
 */
export const STAGES: readonly Stage[] = [
  map, // in a worker child
  sink, // in a worker child
  replay,
  naive, // in a worker child
  kafka,
  latency,
  backlog,
  growth, // replay at each of BENCH_GROWTH's sizes
  counters, // replay of a counting stream, and of the same without combine:
  flat, // the shape the peer can write, through projector
  peer, // Kafka Connect + the Debezium JDBC sink (a JVM child)
];

/** The stage called `name`, or undefined. */
export function stageNamed(name: string): Stage | undefined {
  return STAGES.find((s) => s.name === name);
}
