// The built CLI run without blocking: one-shot commands, long-running processes, their JSON log lines.
import { type CliResult, cliAsync } from "../cli.js";
import { withTimeout } from "../wait.js";

/** Runs the built CLI without blocking the event loop (other processes of the test keep being watched). */
export function projector(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return cliAsync(args, env).done;
}

/** A long-running CLI process (`run`): its result once it exits, whether it still runs, and signals. */
export interface Proc {
  readonly pid: number;
  readonly done: Promise<CliResult>;
  readonly running: boolean;
  kill(sig?: NodeJS.Signals): void;
  /** Waits for the process to exit by itself, at most `ms`. */
  wait(ms: number): Promise<CliResult>;
  /** Sends `sig` and waits for the exit, at most `ms`. */
  stop(sig: NodeJS.Signals, ms?: number): Promise<CliResult>;
  /** The stderr written so far (JSON log lines). */
  stderr(): string;
}

/** Starts a CLI process; with `logs`, at LOG_LEVEL=info so tests can wait on its log lines. */
export function spawnProjector(args: string[], env: Record<string, string>, { logs = false } = {}): Proc {
  const child = cliAsync(args, logs ? { ...env, LOG_LEVEL: "info", LOG_FORMAT: "json" } : env);
  let running = true;
  const done = child.done.then((r) => {
    running = false;
    return r;
  });
  const proc: Proc = {
    pid: child.pid!,
    done,
    get running() {
      return running;
    },
    kill: (sig = "SIGTERM") => {
      if (running) child.kill(sig);
    },
    wait: (ms) => withTimeout(done, ms, `projector ${args[0]} did not exit within ${ms} ms`),
    async stop(sig, ms = 30_000) {
      proc.kill(sig);
      return withTimeout(done, ms, `projector ${args[0]} did not exit within ${ms} ms after ${sig}`);
    },
    stderr: () => child.output().stderr,
  };
  return proc;
}

/** Parsed JSON log lines of a process's stderr (LOG_LEVEL=info). */
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    });
}
