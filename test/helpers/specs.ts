import { type CompiledSpec, compile } from "../../src/compile/compile.js";
import { SPEC_CHECKS } from "../../src/jobs/load-specs.js";
import * as load from "../../src/specs/load.js";

/** The loader with the checks the CLI runs (the compiler's too): every issue `projector validate` prints. */
export const loadSpecDir = (dir: string) => load.loadSpecDir(dir, SPEC_CHECKS);
export const loadSpecDirOrThrow = (dir: string) => load.loadSpecDirOrThrow(dir, SPEC_CHECKS);
export const loadSpecTexts = (files: readonly { file: string; text: string }[]) =>
  load.loadSpecTexts(files, SPEC_CHECKS);

/** The compiled spec of one YAML text; throws with the issues when it has any. */
export function compileSpecText(text: string, file = "spec.yaml"): CompiledSpec {
  const { spec, issues } = loadSpecTexts([{ file, text }]);
  if (issues.length) throw new Error(issues.map((i) => i.message).join("\n"));
  return compile(spec);
}
