import { SPEC_CHECKS } from "../../src/jobs/load-specs.js";
import * as load from "../../src/specs/load.js";

/** The loader with the checks the CLI runs (the compiler's too): every issue `projector validate` prints. */
export const loadSpecDir = (dir: string) => load.loadSpecDir(dir, SPEC_CHECKS);
export const loadSpecDirOrThrow = (dir: string) => load.loadSpecDirOrThrow(dir, SPEC_CHECKS);
export const loadSpecTexts = (files: readonly { file: string; text: string }[]) =>
  load.loadSpecTexts(files, SPEC_CHECKS);
