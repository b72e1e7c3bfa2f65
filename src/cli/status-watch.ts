import { setTimeout as sleep } from "node:timers/promises";
import type { CompiledSpec } from "../compile/compile.js";
import { COUNTERS, DEAD_LETTERS, OFFSETS } from "../compile/engine-tables.js";
import { listTablesStatement } from "../compile/reads.js";
import { partitionKey } from "../core/source-record.js";
import { forTerminal } from "../core/terminal.js";
import { kafkaUserError } from "../jobs/kafka-errors.js";
import { rebuilds, type TableState, tableStates } from "../jobs/versions.js";
import { OffsetsStore } from "../run/offsets.js";
import type { MysqlSink } from "../sink/mysql-sink.js";
import { createKafka, type KafkaSettings } from "../source/kafka/config.js";
import { lagEvents } from "../source/kafka/lag.js";
import { watermarks } from "../source/kafka/topics.js";
import { selectCountersStatement } from "../store/counters.js";
import { lettersByClassStatement } from "../store/letter-classes.js";
import { fitWidth } from "./terminal-text.js";

/** One look at the projection: what a frame of `status --watch` shows. */
export interface WatchSample {
  /** When it was taken (ms since the epoch). */
  readonly at: number;
  /** Lag per topic (the sum of its partitions'), undefined when Kafka could not be asked. */
  readonly lag: ReadonlyMap<string, number> | undefined;
  /** Events the group committed so far, by outcome (projector_counters), undefined before any. */
  readonly outcomes: ReadonlyMap<string, number> | undefined;
  /** Dead letters now, by kind and reason class. */
  readonly letters: readonly { kind: string; reasonClass: string; n: number }[];
  readonly rebuilds: readonly {
    tables: readonly string[];
    phase: string;
    applied: number;
    behind: number | null;
  }[];
  readonly tables: readonly TableState[];
  /** Tables of the specs that do not exist yet (projector migrate creates them). */
  readonly missing: readonly string[];
  /** What could not be read this time (a server away), shown in the frame. */
  readonly errors: readonly string[];
}

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

/** Reads one sample: MySQL (offsets, counters, letters, versions, rebuilds) and the brokers' watermarks. */
export async function readSample(
  sink: MysqlSink,
  compiled: CompiledSpec,
  settings: KafkaSettings,
  admin: ReturnType<ReturnType<typeof createKafka>["admin"]>,
): Promise<WatchSample> {
  const errors: string[] = [];
  let stored = new Map<string, bigint>();
  let outcomes: Map<string, number> | undefined;
  let letters: WatchSample["letters"] = [];
  let rebuildRows: WatchSample["rebuilds"] = [];
  let tables: TableState[] = [];
  let missing: string[] = [];
  try {
    const [rows = []] = await sink.select([listTablesStatement()]);
    const existing = new Set(rows.map((r) => String(r.t)));
    missing = compiled.tables.map((t) => t.name).filter((t) => !existing.has(t));
    if (existing.has(OFFSETS)) stored = await new OffsetsStore(sink, settings.groupId).all();
    if (existing.has(COUNTERS)) {
      const [counters = []] = await sink.select([selectCountersStatement(settings.groupId)]);
      if (counters.length > 0) {
        outcomes = new Map();
        for (const r of counters)
          outcomes.set(String(r.outcome), (outcomes.get(String(r.outcome)) ?? 0) + Number(r.events));
      }
    }
    if (existing.has(DEAD_LETTERS)) {
      const [byClass = []] = await sink.select([lettersByClassStatement([...compiled.events.keys()].sort())]);
      const sums = new Map<string, { kind: string; reasonClass: string; n: number }>();
      for (const r of byClass) {
        const key = `${r.kind}\u0000${r.reason_class}`;
        const had = sums.get(key);
        if (had) had.n += Number(r.n);
        else sums.set(key, { kind: String(r.kind), reasonClass: String(r.reason_class), n: Number(r.n) });
      }
      letters = [...sums.values()];
    }
    tables = await tableStates(sink, compiled.spec);
    rebuildRows = (await rebuilds(sink)).map((r) => ({
      tables: r.tables,
      phase: r.phase,
      applied: r.applied,
      behind: r.behind,
    }));
  } catch (e) {
    errors.push(`MySQL: ${(e as Error).message}`);
  }
  let lag: Map<string, number> | undefined;
  try {
    const topics = new Set(await admin.listTopics());
    lag = new Map();
    for (const topic of compiled.topics.map((t) => settings.topicPrefix + t)) {
      if (!topics.has(topic)) continue;
      let sum = 0;
      for (const w of await watermarks(admin, topic))
        sum += lagEvents({
          topic,
          partition: w.partition,
          next: stored.get(partitionKey(topic, w.partition)) ?? null,
          high: w.high,
          low: w.low,
        });
      lag.set(topic, sum);
    }
  } catch (e) {
    lag = undefined;
    errors.push(`Kafka: ${kafkaUserError(e, settings.brokers)?.message ?? (e as Error).message}`);
  }
  return {
    at: Date.now(),
    lag,
    outcomes,
    letters,
    rebuilds: rebuildRows,
    tables,
    missing,
    errors,
  };
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
  sink: MysqlSink,
  compiled: CompiledSpec,
  settings: KafkaSettings,
  intervalSeconds: number,
  out: NodeJS.WriteStream = process.stdout,
): Promise<number> {
  const tty = out.isTTY === true;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const admin = createKafka(settings, { retries: 1 }).admin();
  const history: WatchHistory = { trend: new Map() };
  let resized = true;
  const onResize = () => {
    resized = true;
  };
  out.on("resize", onResize);
  if (tty) out.write(HIDE_CURSOR);
  try {
    await admin.connect().catch(() => undefined); // unreachable: each frame says so
    for (let frame = 0; !controller.signal.aborted; frame++) {
      const sample = await readSample(sink, compiled, settings, admin);
      const lines = renderFrame(sample, history, {
        group: settings.groupId,
        database: sink.database,
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
    await admin.disconnect().catch(() => undefined);
  }
  return 0;
}
