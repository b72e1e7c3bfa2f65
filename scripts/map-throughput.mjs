// Pure mapping throughput: events decoded and mapped per second on one core, no I/O.
// Input: the 44 envelopes of test/fixtures/events/examples.jsonl (the "examples mix"), or a JSONL file given
// as the first argument (e.g. a generated stream). Usage: npm run build && node scripts/map-throughput.mjs [file]
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compile } from "../dist/src/compile/compile.js";
import { MapError, mapEvent } from "../dist/src/compile/map-event.js";
import { checkEnvelope } from "../dist/src/run/decode.js";
import { loadSpecDirOrThrow } from "../dist/src/specs/load.js";

const file =
  process.argv[2] ?? fileURLToPath(new URL("../test/fixtures/events/examples.jsonl", import.meta.url));
const plan = compile(loadSpecDirOrThrow(fileURLToPath(new URL("../projections", import.meta.url))));
const lines = readFileSync(file, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "");
const target = Number(process.env.MAP_EVENTS ?? 500_000);

function run(n) {
  let ops = 0;
  let errors = 0;
  for (let i = 0; i < n; i++) {
    const envelope = checkEnvelope(JSON.parse(lines[i % lines.length]));
    const result = mapEvent(plan.events.get(envelope.event_type), envelope);
    if (result instanceof MapError) errors++;
    else ops += result.length;
  }
  return { ops, errors };
}

run(Math.min(target, 50_000)); // warm up the JIT
const started = process.hrtime.bigint();
const { ops, errors } = run(target);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const result = {
  input: file.split("/").slice(-1)[0],
  events: target,
  seconds: Number(seconds.toFixed(3)),
  events_per_second: Math.round(target / seconds),
  ops_per_event: Number((ops / target).toFixed(2)),
  map_errors: errors,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
