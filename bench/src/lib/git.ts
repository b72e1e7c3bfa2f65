import { spawn } from "node:child_process";
import { ROOT } from "./paths.js";

/** The commit measured (`git` in results.json). */
export interface GitInfo {
  /** `<hash> <subject>` of HEAD. */
  readonly commit: string;
  /** Uncommitted files under src/ and projections/. */
  readonly dirty_files?: number;
}

/** The output of `git <args>` in the repository root; undefined when git cannot run. */
function git(args: readonly string[]): Promise<string | undefined> {
  return new Promise((res) => {
    const p = spawn("git", args, { cwd: ROOT });
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.on("error", () => res(undefined));
    p.on("close", () => res(out));
  });
}

/** HEAD's hash and subject, and how many files under src/ and projections/ are uncommitted. */
export async function gitInfo(): Promise<GitInfo | undefined> {
  const log = await git(["log", "-1", "--format=%H %s"]);
  if (log === undefined) return undefined;
  const commit = log.trim();
  const dirty = await git(["status", "--porcelain", "--", "src", "projections"]);
  if (dirty === undefined) return { commit };
  return { commit, dirty_files: dirty.split("\n").filter(Boolean).length };
}
