import { compile, type Plan } from "../compile/plan.js";
import { loadSpecDirOrThrow } from "../spec/load.js";

export const DEFAULT_PROJECTIONS = process.env.PROJECTOR_PROJECTIONS ?? "./projections";

/** Loads, validates and compiles the projections folder; throws SpecError listing every issue. */
export function loadPlan(dir: string): Plan {
  return compile(loadSpecDirOrThrow(dir));
}
