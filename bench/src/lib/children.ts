import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { LOG_DIR, ROOT } from "./paths.js";

/** How a child process ended. */
export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** Wall clock from spawn to close. */
  readonly seconds: number;
  /** Its stderr: bench/out/logs/<log>.log. */
  readonly logFile: string;
}

/** Options of one child. */
export interface ChildOptions {
  /** Added to (and overriding) this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** The log file's name: bench/out/logs/<log>.log (appended to). */
  readonly log: string;
  /** Called with the process once it is spawned (to signal it later). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** The node processes the bench starts: run, tracked (to stop them on exit), logged. */
export class Children {
  readonly #running = new Set<ChildProcess>();

  /**
   * Runs `node <args>` in the repository root: stdout collected, stderr appended to the log file.
   * Resolves with exit code, stdout and wall-clock seconds; never rejects on a non-zero exit.
   */
  run(args: readonly string[], options: ChildOptions): Promise<ChildResult> {
    return new Promise((resolvePromise, reject) => {
      const logFile = join(LOG_DIR, `${options.log}.log`);
      const errOut = createWriteStream(logFile, { flags: "a" });
      errOut.write(
        `\n# ${new Date().toISOString()} node ${args.map((a) => relative(ROOT, a) || a).join(" ")}\n`,
      );
      const started = performance.now();
      // BENCH_NODE_ARGS: node flags for every child (e.g. "--cpu-prof --cpu-prof-dir=bench/out/prof").
      const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
      const child = spawn(process.execPath, [...nodeArgs, ...args], {
        cwd: ROOT,
        env: { ...process.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.#running.add(child);
      let stdout = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (d: string) => {
        stdout += d;
      });
      child.stderr.pipe(errOut);
      child.on("error", (e) => {
        this.#running.delete(child);
        reject(e);
      });
      child.on("close", (code, signal) => {
        this.#running.delete(child);
        const seconds = (performance.now() - started) / 1000;
        errOut.end();
        resolvePromise({ code, signal, stdout, seconds, logFile });
      });
      options.onSpawn?.(child);
    });
  }

  /** Sends SIGTERM to every child still running. */
  stopAll(): void {
    for (const c of this.#running) c.kill("SIGTERM");
  }
}

/** The error for a child that failed: how it ended, and the last lines of its log. */
export function failure(what: string, r: ChildResult): Error {
  const tail = existsSync(r.logFile) ? readFileSync(r.logFile, "utf8").trimEnd().split("\n").slice(-8) : [];
  return new Error(
    `${what} exited with ${r.signal ?? `code ${r.code}`}; see ${relative(ROOT, r.logFile)}\n    ${tail.join("\n    ")}`,
  );
}
