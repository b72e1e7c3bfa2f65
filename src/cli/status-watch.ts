import { setTimeout as sleep } from "node:timers/promises";
import { forTerminal } from "../core/terminal.js";
import type { StatusWatch, WatchSample } from "../jobs/status.js";
import type { TableState } from "../jobs/versions.js";
import { fitWidth } from "./terminal-text.js";

/** The frames seen so far: the first (dead letters since), the previous (rates) and each topic's recent lag. */
export interface WatchHistory {
  first?: WatchSample;
  previous?: WatchSample;
  /** Per topic, its last TREND_SAMPLES lags. */
  readonly trend: Map<string, number[]>;
}

/** How many frames a topic's trend shows. */
export const TREND_SAMPLES = 20;
const SPARKS = "▁▂▃▄▅▆▇█";

/** A sparkline of `values` (lowest bar for 0, highest for the window's largest). */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map(
      (v) => SPARKS[max === 0 ? 0 : Math.min(SPARKS.length - 1, Math.round((v / max) * (SPARKS.length - 1)))],
    )
    .join("");
}

const num = (n: number) => Math.round(n).toLocaleString("en-US");
const perSecond = (n: number) => (Math.abs(n) >= 10 || n === 0 ? num(n) : n.toFixed(1));
const signed = (n: number) => (n > 0 ? `+${perSecond(n)}` : n < 0 ? `-${perSecond(-n)}` : "0");
const signedCount = (n: number) => (n > 0 ? `+${num(n)}` : n < 0 ? `-${num(-n)}` : "0");

/** What each outcome is called in the frame, in its order. */
const OUTCOME_WORDS: readonly [outcome: string, word: string][] = [
  ["applied", "applied"],
  ["stale", "stale"],
  ["filtered", "filtered"],
  ["skipped", "skipped"],
  ["dead_lettered", "dead-lettered"],
  ["unmatched_kept", "unmatched kept"],
];

/**
 * The lines of one frame (pure: `history` is read, not changed), each cut to `width` columns. Every
 * text from the specs, events or servers goes through forTerminal().
 */
export function renderFrame(
  s: WatchSample,
  history: WatchHistory,
  head: { group: string; database: string; intervalSeconds: number; width: number },
): string[] {
  const out: string[] = [];
  const time = new Date(s.at)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  out.push(
    `group ${forTerminal(head.group)} on ${forTerminal(head.database)} · ${time} · every ${head.intervalSeconds}s, Ctrl-C stops`,
  );
  const prev = history.previous;
  const dt = prev ? (s.at - prev.at) / 1000 : 0;

  // Lag: total, then per topic with its trend.
  if (s.lag === undefined) out.push("lag: unknown (Kafka could not be asked)");
  else {
    const total = [...s.lag.values()].reduce((a, b) => a + b, 0);
    const prevTotal = prev?.lag ? [...prev.lag.values()].reduce((a, b) => a + b, 0) : undefined;
    out.push(
      `lag: ${num(total)} events${prevTotal !== undefined && dt > 0 ? ` (${signed((total - prevTotal) / dt)}/s)` : ""}`,
    );
    const w = Math.max(16, ...[...s.lag.keys()].map((t) => forTerminal(t).length));
    out.push(`  ${"topic".padEnd(w)} ${"lag".padStart(10)}  ${"trend".padEnd(TREND_SAMPLES)}  change`);
    for (const [topic, lag] of [...s.lag].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const before = prev?.lag?.get(topic);
      const change = before !== undefined && dt > 0 ? `${signed((lag - before) / dt)}/s` : "";
      const trend = sparkline([...(history.trend.get(topic) ?? []), lag].slice(-TREND_SAMPLES));
      out.push(
        `  ${forTerminal(topic).padEnd(w)} ${num(lag).padStart(10)}  ${trend.padEnd(TREND_SAMPLES)}  ${change}`,
      );
    }
  }

  // Events per second by outcome, from what the group committed between the two frames.
  if (s.outcomes === undefined) out.push("events/s: none committed yet");
  else if (!prev?.outcomes || dt <= 0) out.push("events/s: measuring (shown from the next frame)");
  else {
    const rate = (o: string) => ((s.outcomes?.get(o) ?? 0) - (prev.outcomes?.get(o) ?? 0)) / dt;
    const total = OUTCOME_WORDS.reduce((n, [o]) => n + (o === "unmatched_kept" ? 0 : rate(o)), 0);
    const parts = OUTCOME_WORDS.filter(([o]) => o === "applied" || rate(o) > 0).map(
      ([o, word]) => `${word} ${perSecond(rate(o))}`,
    );
    out.push(`events/s: ${perSecond(total)} (${parts.join(", ")})`);
  }

  // Dead letters by kind and reason class, and how many came since the first frame.
  const byKind = new Map<string, number>();
  for (const l of s.letters) byKind.set(l.kind, (byKind.get(l.kind) ?? 0) + l.n);
  const firstByKind = new Map<string, number>();
  for (const l of history.first?.letters ?? s.letters)
    firstByKind.set(l.kind, (firstByKind.get(l.kind) ?? 0) + l.n);
  const kinds = [
    "failed",
    "unmatched",
    ...[...byKind.keys()].filter((k) => k !== "failed" && k !== "unmatched"),
  ];
  out.push(
    `dead letters: ${kinds
      .map((k) => {
        const n = byKind.get(k) ?? 0;
        const since = n - (firstByKind.get(k) ?? 0);
        return `${forTerminal(k)} ${num(n)}${since !== 0 ? ` (${signedCount(since)} since watching)` : ""}`;
      })
      .join(", ")}`,
  );
  for (const l of [...s.letters].sort((a, b) => b.n - a.n || (a.kind < b.kind ? -1 : 1)))
    out.push(`  ${num(l.n).padStart(9)}  ${forTerminal(l.kind).padEnd(10)} ${forTerminal(l.reasonClass)}`);

  // Rebuilds.
  if (s.rebuilds.length === 0) out.push("rebuilds: none recorded");
  else {
    out.push("rebuilds:");
    for (const r of s.rebuilds)
      out.push(
        `  ${forTerminal(r.tables.join(", "))}: ${forTerminal(r.phase)}, ${num(r.applied)} events applied${r.behind !== null ? `, ${num(r.behind)} behind the live tables` : ""}`,
      );
  }

  // Table states against the specs on disk.
  const count = (state: TableState["state"]) => s.tables.filter((t) => t.state === state).length;
  const states = [
    `${count("current")} current`,
    ...(count("additive") ? [`${count("additive")} made right by migrate`] : []),
    ...(count("new") ? [`${count("new")} without a recorded version`] : []),
    ...(count("rebuild") ? [`${count("rebuild")} need a rebuild`] : []),
    ...(s.missing.length ? [`${s.missing.length} missing (projector migrate)`] : []),
  ];
  out.push(`tables: ${states.join(", ")}`);
  for (const t of s.tables.filter((t) => t.state === "rebuild"))
    out.push(`  ${forTerminal(t.table)} needs a rebuild: ${forTerminal(t.reasons.join("; "))}`);

  for (const e of s.errors) out.push(`! ${forTerminal(e)}`);
  return out.map((l) => fitWidth(l, head.width));
}

/** The next history, once `s` is drawn. */
export function remember(history: WatchHistory, s: WatchSample): void {
  history.first ??= s;
  history.previous = s;
  for (const [topic, lag] of s.lag ?? []) {
    const t = history.trend.get(topic) ?? [];
    t.push(lag);
    if (t.length > TREND_SAMPLES) t.shift();
    history.trend.set(topic, t);
  }
}

/** Escape sequences of the in-place redraw (a TTY only). */
const HOME = "\x1b[H";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";
const CLEAR_SCREEN = "\x1b[2J";
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";

/**
 * `status --watch`: a frame every `intervalSeconds` until a signal. On a TTY the frame is redrawn in
 * place (cut to the terminal's width and height); piped, each frame is written as plain lines,
 * a blank line between frames, with no escape sequence.
 */
export async function watchStatus(
  watch: StatusWatch,
  intervalSeconds: number,
  out: NodeJS.WriteStream = process.stdout,
): Promise<number> {
  const tty = out.isTTY === true;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const history: WatchHistory = { trend: new Map() };
  let resized = true;
  const onResize = () => {
    resized = true;
  };
  out.on("resize", onResize);
  if (tty) out.write(HIDE_CURSOR);
  try {
    await watch.connect();
    for (let frame = 0; !controller.signal.aborted; frame++) {
      const sample = await watch.sample();
      const lines = renderFrame(sample, history, {
        group: watch.group,
        database: watch.database,
        intervalSeconds,
        width: tty ? Math.max(20, out.columns ?? 80) : Number.POSITIVE_INFINITY,
      });
      remember(history, sample);
      if (tty) {
        const rows = Math.max(3, (out.rows ?? 24) - 1);
        const shown =
          lines.length > rows
            ? [
                ...lines.slice(0, rows - 1),
                `… ${lines.length - rows + 1} more lines (a taller terminal shows them)`,
              ]
            : lines;
        out.write(
          `${resized ? CLEAR_SCREEN : ""}${HOME}${shown.map((l) => `${l}${CLEAR_LINE}`).join("\n")}\n${CLEAR_BELOW}`,
        );
        resized = false;
      } else out.write(`${frame > 0 ? "\n" : ""}${lines.join("\n")}\n`);
      await sleep(intervalSeconds * 1000, undefined, { signal: controller.signal }).catch(() => undefined);
    }
  } finally {
    out.off("resize", onResize);
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    if (tty) out.write(SHOW_CURSOR);
    await watch.close();
  }
  return 0;
}
