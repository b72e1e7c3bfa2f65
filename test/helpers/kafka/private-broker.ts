// A second, private broker (scripts/kafka.mjs with its own home dir and port), started and stopped by a test.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { type CliResult, REPO } from "../cli.js";
import { withTimeout } from "../wait.js";

export interface Broker {
  readonly port: number;
  readonly address: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function privateBroker(port: number, home = join(REPO, ".kafka-restart-test")): Broker {
  mkdirSync(home, { recursive: true });
  // Reuse the jars of the main broker instead of fetching them again with Maven.
  const mainLibs = join(process.env.KAFKA_HOME_DIR || join(REPO, ".kafka"), "libs");
  if (!existsSync(join(home, "libs")) && existsSync(mainLibs)) symlinkSync(mainLibs, join(home, "libs"));
  const env = { KAFKA_PORT: String(port), KAFKA_HOME_DIR: home };
  const script = async (cmd: "start" | "stop") => {
    const child = cliAsyncScript(cmd, env);
    const r = await withTimeout(child, 120_000, `kafka.mjs ${cmd} on port ${port} did not finish`);
    if (r.status !== 0) throw new Error(`kafka.mjs ${cmd} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    start: () => script("start"),
    stop: () => script("stop"),
  };
}

function cliAsyncScript(cmd: string, env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO, "scripts", "kafka.mjs"), cmd], {
      cwd: REPO,
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
