import { checkCompilable } from "../compile/check.js";
import { type CompiledSpec, compile } from "../compile/compile.js";
import type { Dialect } from "../compile/ddl.js";
import { type LoadResult, loadSpecDir, loadSpecDirOrThrow, type SpecCheck } from "../specs/load.js";

export const DEFAULT_PROJECTIONS = process.env.PROJECTOR_PROJECTIONS ?? "./projections";

/** What a load checks beside the references: what the compiler must be able to compile. */
export const SPEC_CHECKS: readonly SpecCheck[] = [checkCompilable];

/** Loads and checks the projections folder: every issue, as `projector validate` prints them. */
export function loadSpecs(dir: string): LoadResult {
  return loadSpecDir(dir, SPEC_CHECKS);
}

/** Loads, validates and compiles the projections folder; throws SpecError listing every issue. */
export function loadCompiled(dir: string, dialect?: Dialect): CompiledSpec {
  return compile(loadSpecDirOrThrow(dir, SPEC_CHECKS), dialect);
}
