import { type CompiledSpec, compile } from "../compile/compile.js";
import { loadSpecDirOrThrow } from "../specs/load.js";

export const DEFAULT_PROJECTIONS = process.env.PROJECTOR_PROJECTIONS ?? "./projections";

/** Loads, validates and compiles the projections folder; throws SpecError listing every issue. */
export function loadCompiled(dir: string): CompiledSpec {
  return compile(loadSpecDirOrThrow(dir));
}
