import { forTerminal, jsonText } from "./terminal.js";

/**
 * Structured logs on stderr: JSON lines when stderr is not a terminal, short text when it is.
 * LOG_LEVEL sets the floor. Text lines escape control characters (event data reaches the logs);
 * JSON lines are exact JSON with DEL and C1 escaped too.
 */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 } as const;
export type Level = keyof typeof LEVELS;

const floor = LEVELS[(process.env.LOG_LEVEL?.toLowerCase() as Level) ?? "info"] ?? LEVELS.info;
const json =
  process.env.LOG_FORMAT === "json" || (process.env.LOG_FORMAT !== "text" && !process.stderr.isTTY);

function write(level: Exclude<Level, "silent">, msg: string, fields?: Record<string, unknown>): void {
  if (LEVELS[level] < floor) return;
  if (json) {
    process.stderr.write(`${jsonText({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  } else {
    const extra =
      fields && Object.keys(fields).length
        ? ` ${Object.entries(fields)
            .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
            .join(" ")}`
        : "";
    process.stderr.write(`${forTerminal(`${level === "info" ? "" : `${level}: `}${msg}${extra}`)}\n`);
  }
}

export const log = {
  debug: (msg: string, fields?: Record<string, unknown>) => write("debug", msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write("info", msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write("warn", msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write("error", msg, fields),
};
