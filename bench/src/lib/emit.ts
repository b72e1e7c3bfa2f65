import type { CompiledSpec } from "../../../src/compile/compile.js";
import type { Children } from "./children.js";
import type { KafkaResources, KafkaStageEnv } from "./kafka.js";
import { round } from "./numbers.js";
import { projector } from "./projector-cli.js";

/** What `projector emit` did. */
export interface Emitted {
  readonly events: number;
  readonly seconds: number;
  readonly events_per_second: number;
}

/**
 * `projector emit <file>` to the stage's topics (registered for deletion first); throws unless it
 * sent exactly `events` events. Its seconds are the child's wall clock.
 */
export async function emitFile(
  children: Children,
  kafka: KafkaResources,
  stage: string,
  file: string,
  stageEnv: KafkaStageEnv,
  plan: CompiledSpec,
  events: number,
): Promise<Emitted> {
  kafka.addTopics(plan.topics.map((t) => stageEnv.env.KAFKA_TOPIC_PREFIX + t));
  const r = await projector(children, ["emit", file], { env: stageEnv.env, log: `${stage}-emit` });
  const m = /emitted (\d+) events .*\((\d+) events\/s\)/.exec(r.stdout);
  const sent = m ? Number(m[1]) : undefined;
  if (sent !== events) throw new Error(`emit sent ${sent} of ${events} events: ${r.stdout.trim()}`);
  return { events: sent, seconds: round(r.seconds, 3), events_per_second: Math.round(sent / r.seconds) };
}
