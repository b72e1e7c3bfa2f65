import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = `${REPO}bin/projector.js`;
export const EXAMPLES = fileURLToPath(new URL("../fixtures/events/examples.jsonl", import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI synchronously (tests run after `npm run build`). */
export function cli(args: string[], env: Record<string, string> = {}, input?: string | Buffer): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    input,
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the built CLI asynchronously; resolves when it exits. */
export function cliAsync(
  args: string[],
  env: Record<string, string> = {},
): {
  done: Promise<CliResult>;
  pid: number | undefined;
  kill: (sig?: NodeJS.Signals) => void;
  /** What the process has written so far (while it runs). */
  output: () => { stdout: string; stderr: string };
  /** Its standard input (for `replay -`). */
  stdin: NodeJS.WritableStream;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) =>
    child.on("close", (status) => resolve({ status, stdout, stderr })),
  );
  return {
    done,
    pid: child.pid,
    kill: (sig = "SIGTERM") => child.kill(sig),
    output: () => ({ stdout, stderr }),
    stdin: child.stdin,
  };
}
