import type { CompiledSpec } from "../../../src/compile/compile.js";
import { MapError, type MappedOp, mapEvent } from "../../../src/compile/map-event.js";
import { loadCompiled } from "../../../src/jobs/load-specs.js";
import { checkEnvelope, EnvelopeError } from "../../../src/run/decode.js";
import { PROJECTIONS } from "./paths.js";

/** The specs of projections/, loaded, checked and compiled as the CLI does. */
export function loadPlan(): CompiledSpec {
  return loadCompiled(PROJECTIONS);
}

/** One line's fate: its row operations, or skipped (no spec maps its type), or dead (unusable). */
export type Mapped =
  | { readonly kind: "event"; readonly ops: MappedOp[] }
  | { readonly kind: "skip" | "dead" };

/** Decode + route + map, as the executor's prepare() does. */
export function mapLine(plan: CompiledSpec, line: string): Mapped {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: "dead" };
  }
  const envelope = checkEnvelope(value);
  if (envelope instanceof EnvelopeError) return { kind: "dead" };
  const actions = plan.events.get(envelope.event_type);
  if (!actions) return { kind: "skip" };
  const ops = mapEvent(actions, envelope);
  if (ops instanceof MapError) return { kind: "dead" };
  return { kind: "event", ops };
}

/** Rows as the executor counts them: one per op, the child rows for replace. */
export function rowsOf(ops: readonly MappedOp[]): number {
  let n = 0;
  for (const op of ops) n += op.rows ? op.rows.length : 1;
  return n;
}
