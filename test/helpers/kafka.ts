import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, expect } from "vitest";
import { type CliResult, cliAsync, EXAMPLES, REPO } from "./cli.js";
import { createTestDb, type TestDb } from "./db.js";
import { loadSpecDirOrThrow } from "./specs.js";

/** The broker of scripts/kafka.mjs, which the global setup starts (KAFKA_PORT and KAFKA_HOME_DIR as for it). */
export const MAIN_BROKER = `127.0.0.1:${process.env.KAFKA_PORT || 9092}`;

/** One test's own slice of the cluster: topic prefix, consumer group, brokers. */
export interface KafkaCtx {
  readonly prefix: string;
  readonly group: string;
  readonly brokers: string;
  /** Environment for emit/run/status against `db` (partitions of the topics created on the way). */
  env(db: TestDb, partitions?: number): Record<string, string>;
}

const contexts: KafkaCtx[] = [];

export function kafkaCtx(brokers = MAIN_BROKER): KafkaCtx {
  const id = randomBytes(4).toString("hex");
  const prefix = `t${id}.`;
  const group = `g${id}`;
  const ctx: KafkaCtx = {
    prefix,
    group,
    brokers,
    env: (db, partitions = 6) => ({
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: group,
      KAFKA_CLIENT_ID: `projector-test-${id}`,
      PROJECTOR_PARTITIONS: String(partitions),
      MYSQL_URL: db.url,
    }),
  };
  contexts.push(ctx);
  return ctx;
}

/**
 * What one test file creates, cleaned up once all its tests are done: its databases are dropped, its
 * processes killed (a stopped one is continued first), its topics and consumer groups deleted.
 */
export interface TestScope {
  /** A new database, dropped at the end. */
  db(): Promise<TestDb>;
  /** Drops `db` at the end too (one made elsewhere, e.g. by replayReference). */
  keep<T extends TestDb>(db: T): T;
  /** A new database with its own slice of the cluster (topics of `partitions`), and their environment. */
  kafka(partitions: number): Promise<{ db: TestDb; ctx: KafkaCtx; env: Record<string, string> }>;
  /** spawnProjector, killed at the end if it still runs. */
  spawn(args: string[], env: Record<string, string>, options?: { logs?: boolean }): Proc;
}

/** Call once at the top of a test file. */
export function testScope(): TestScope {
  const dbs: TestDb[] = [];
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs) {
      p.kill("SIGCONT");
      p.kill("SIGKILL");
    }
    await cleanupKafka();
    for (const db of dbs) await db.drop().catch(() => undefined);
  });
  return {
    async db() {
      const db = await createTestDb();
      dbs.push(db);
      return db;
    },
    async kafka(partitions) {
      const db = await this.db();
      const ctx = kafkaCtx();
      return { db, ctx, env: ctx.env(db, partitions) };
    },
    keep(db) {
      dbs.push(db);
      return db;
    },
    spawn(args, env, options) {
      const p = spawnProjector(args, env, options);
      procs.push(p);
      return p;
    },
  };
}

/**
 * Deletes the topics and consumer groups of every context this test file created (the dev broker
 * keeps everything forever otherwise). Best effort: never fails a test.
 */
export async function cleanupKafka(): Promise<void> {
  const byBroker = new Map<string, KafkaCtx[]>();
  for (const c of contexts.splice(0)) byBroker.set(c.brokers, [...(byBroker.get(c.brokers) ?? []), c]);
  for (const [brokers, ctxs] of byBroker) {
    const kafka = new Kafka({
      clientId: "projector-test-cleanup",
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    });
    const admin = kafka.admin();
    const work = (async () => {
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => ctxs.some((c) => t.startsWith(c.prefix)));
      if (topics.length) await admin.deleteTopics({ topics, timeout: 10_000 });
      await admin.deleteGroups(ctxs.map((c) => c.group)).catch(() => undefined);
    })();
    await withTimeout(work, 30_000, "cleanup").catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

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

export async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Thrown by a waitFor check to fail at once (e.g. the process it waits on has died). */
export class WaitAborted extends Error {}

/**
 * Polls `check` until it returns a value other than undefined/false; fails with `what` after
 * `timeoutMs`. Errors thrown by `check` count as "not yet", except WaitAborted.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 60_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      if (e instanceof WaitAborted) throw e;
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ""}`,
      );
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// Input streams

/**
 * Generated streams are cached across test files and runs (deterministic, so a cached file is the
 * file `generate` would write): keyed by count, seed and a digest of the built generator and of
 * examples.jsonl.
 */
const streams = join(tmpdir(), "projector-test-streams");

function generatorDigest(): string {
  const dir = join(REPO, "dist", "tools", "generate");
  const h = createHash("sha256").update(readFileSync(EXAMPLES));
  if (existsSync(dir))
    for (const f of readdirSync(dir)
      .filter((f) => f.endsWith(".js"))
      .sort())
      h.update(readFileSync(join(dir, f)));
  return h.digest("hex").slice(0, 12);
}

/**
 * A JSONL file: examples.jsonl (when `examples`) followed by `projector generate --count N --seed S`.
 * Deterministic, so `emit` and `replay` of the same file see the same events.
 */
export async function streamFile(count: number, seed: number, examples = true): Promise<string> {
  mkdirSync(streams, { recursive: true });
  const file = join(streams, `${examples ? "ex-" : ""}${count}-${seed}-${generatorDigest()}.jsonl`);
  if (existsSync(file)) return file;
  const parts: string[] = [];
  if (examples) parts.push(readFileSync(EXAMPLES, "utf8").trimEnd(), "\n");
  if (count > 0) {
    const r = await projector(["generate", "--count", String(count), "--seed", String(seed)]);
    if (r.status !== 0) throw new Error(`generate failed: ${r.stderr}`);
    parts.push(r.stdout);
  }
  // Written aside and renamed: test files running in parallel never read half a file.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(tmp, parts.join(""));
  renameSync(tmp, file);
  return file;
}

/** A parsed event envelope. */
export type Envelope = Record<string, unknown> & { event_type: string; event_id: string; entity_id: string };

/** The envelopes of examples.jsonl, in order. */
export function exampleEnvelopes(): Envelope[] {
  return readFileSync(EXAMPLES, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Envelope);
}

/** A new order.created envelope (the examples' one) with ids of its own, n-th of its kind. */
export function newOrder(n: number, orderNumber = `ORD-K-${n}`): Envelope {
  const e = structuredClone(exampleEnvelopes().find((x) => x.event_type === "order.created")!);
  e.event_id = `00000000-0000-4000-a000-${String(n).padStart(12, "0")}`;
  e.entity_id = `88a1f0000000000000${String(n).padStart(6, "0")}`;
  (e.data as Record<string, unknown>).order_number = orderNumber;
  return e;
}

export interface InputEvent {
  readonly event_type: string;
  readonly event_id: string;
}

export function readEvents(file: string): InputEvent[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as InputEvent);
}

/** event type → the log tables its actions append to (from the compiled specs in projections/). */
export function appendTargets(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [type, actions] of loadSpecDirOrThrow(join(REPO, "projections")).events) {
    const appends = actions.filter((a) => a.mode === "append");
    // A conditional append would make the expected count depend on the payload.
    if (appends.some((a) => a.when)) throw new Error(`${type}: conditional appends are not counted here`);
    if (appends.length)
      out.set(
        type,
        appends.map((a) => a.table),
      );
  }
  return out;
}

/** The log tables (append targets) of the specs. */
export function logTables(): string[] {
  return [...new Set([...appendTargets().values()].flat())].sort();
}

/** Per log table: how many distinct source events of the input append to it. */
export function expectedLogCounts(file: string): Record<string, number> {
  const targets = appendTargets();
  const ids = new Map<string, Set<string>>(logTables().map((t) => [t, new Set()]));
  for (const e of readEvents(file))
    for (const t of targets.get(e.event_type) ?? []) ids.get(t)!.add(e.event_id);
  return Object.fromEntries([...ids].map(([t, s]) => [t, s.size]));
}

/** Per log table: COUNT(*) and COUNT(DISTINCT event_id). */
export async function logCounts(db: TestDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of logTables()) {
    const [r] = await db.rows<{ n: number; d: number }>(
      `SELECT COUNT(*) n, COUNT(DISTINCT event_id) d FROM \`${t}\``,
    );
    if (Number(r!.n) !== Number(r!.d)) throw new Error(`${t}: ${r!.n} rows but ${r!.d} distinct event ids`);
    out[t] = Number(r!.n);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reference results and comparisons

let tablesOfSpecs: string[] | undefined;

/** Every table `projector ddl` creates. */
export async function projectedTables(): Promise<string[]> {
  if (!tablesOfSpecs) {
    const r = await projector(["ddl"]);
    if (r.status !== 0) throw new Error(`ddl failed: ${r.stderr}`);
    tablesOfSpecs = [...r.stdout.matchAll(/CREATE TABLE IF NOT EXISTS `(\w+)`/g)].map((m) => m[1]!).sort();
  }
  return tablesOfSpecs;
}

/** `projector replay <file>` (with the specs of `projections`, default projections/) into a fresh database: the reference result of a stream, and its summary. */
export async function replayReference(
  file: string,
  projections?: string,
): Promise<{ db: TestDb; summary: Summary }> {
  const db = await createTestDb("pjref");
  const specs = projections ? ["--projections", projections] : [];
  const r = await projector(["replay", file, "--json", ...specs], { MYSQL_URL: db.url });
  if (r.status !== 0) throw new Error(`replay failed (${r.status}): ${r.stderr}`);
  return { db, summary: summaryOf(r) };
}

/** The outcome counters of a summary (replay and run print the same shape). */
export function outcomes(s: Summary): Record<string, number> {
  const { read, applied, stale, skipped, dead_lettered, unmatched } = s;
  return { read, applied, stale, skipped, dead_lettered, unmatched };
}

/**
 * Per projected table: row count and a digest of its sorted rows (db.dump()). Equal digests mean
 * identical tables; the digests keep a failure's diff readable for tens of thousands of rows.
 */
export async function tableDigests(db: TestDb): Promise<Record<string, string>> {
  const tables = await projectedTables();
  const dump = await db.dump(tables);
  return Object.fromEntries(
    tables.map((t) => {
      const rows = (JSON.parse(dump[t]!) as string[]).length;
      return [t, `${rows} rows, sha256 ${createHash("sha256").update(dump[t]!).digest("hex").slice(0, 16)}`];
    }),
  );
}

/**
 * Explains how two databases' projected tables differ: per differing table, row counts and a few
 * rows found only on one side (empty when they are identical).
 */
export async function tableDifferences(db: TestDb, ref: TestDb): Promise<string> {
  const tables = await projectedTables();
  const [a, b] = [await db.dump(tables), await ref.dump(tables)];
  const out: string[] = [];
  for (const t of tables) {
    if (a[t] === b[t]) continue;
    const [ra, rb] = [new Set(JSON.parse(a[t]!) as string[]), new Set(JSON.parse(b[t]!) as string[])];
    const onlyA = [...ra].filter((r) => !rb.has(r));
    const onlyB = [...rb].filter((r) => !ra.has(r));
    out.push(
      `${t}: ${ra.size} rows vs ${rb.size} in the reference; ${onlyA.length} only here, ${onlyB.length} only in the reference`,
      ...onlyA.slice(0, 3).map((r) => `  here:      ${r.slice(0, 600)}`),
      ...onlyB.slice(0, 3).map((r) => `  reference: ${r.slice(0, 600)}`),
    );
  }
  return out.join("\n");
}

/** Asserts that `db`'s projected tables equal the reference's (`expected` = tableDigests(ref)), explaining any difference. */
export async function expectSameTables(
  db: TestDb,
  ref: TestDb,
  expected: Record<string, string>,
): Promise<void> {
  const got = await tableDigests(db);
  if (JSON.stringify(got) === JSON.stringify(expected)) return;
  expect(got, await tableDifferences(db, ref)).toEqual(expected);
}

/** Events applied so far by `group` (sum of the next offsets stored with the rows; topics start at 0). */
export async function appliedCount(db: TestDb, group: string): Promise<number> {
  try {
    const [r] = await db.rows<{ n: string | number | null }>(
      "SELECT SUM(next_offset) n FROM projector_offsets WHERE consumer_group = ?",
      [group],
    );
    return Number(r?.n ?? 0);
  } catch {
    return 0; // the run has not created its tables yet
  }
}

export interface StatusJson {
  group: string;
  database: string;
  total_lag: number | null;
  partitions: {
    topic: string;
    partition: number;
    next_offset: string | null;
    high_watermark: string | null;
    lag: number | null;
  }[];
  dead_letters: number | null;
  rows: Record<string, number | null>;
  kafka_error?: string;
}

export async function status(env: Record<string, string>): Promise<StatusJson> {
  const r = await projector(["status", "--json"], env);
  if (r.status !== 0) throw new Error(`status failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusJson;
}

export interface Summary {
  read: number;
  applied: number;
  stale: number;
  skipped: number;
  dead_lettered: number;
  unmatched: number;
  batches: number;
  batches_planned_ahead: number;
  retries: number;
  mysql_warnings: number;
  rows_by_table: Record<string, number>;
}

/** The summary `run --json` / `run --until-caught-up --json` / `replay --json` prints last on stdout. */
export function summaryOf(r: CliResult): Summary {
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`no JSON summary on stdout (exit ${r.status}):\n${r.stdout}\n${r.stderr.slice(-3000)}`);
  }
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

// ---------------------------------------------------------------------------------------------
// HTTP (metrics server)

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

/** Samples of a Prometheus text exposition: `name{labels}` → value. */
export function metricSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Raw Kafka access (messages `emit` would never produce)

export interface Produced {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Produces each message to its explicit partition, in order; returns where each landed. */
export async function produceRaw(
  brokers: string,
  messages: { topic: string; partition: number; key?: string; value: Buffer | string }[],
): Promise<Produced[]> {
  const kafka = new Kafka({ clientId: "projector-test-raw", brokers: [brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const out: Produced[] = [];
    for (const m of messages) {
      const [meta] = await producer.send({
        topic: m.topic,
        acks: -1,
        messages: [{ partition: m.partition, key: m.key ?? null, value: m.value }],
      });
      out.push({ topic: m.topic, partition: m.partition, offset: meta!.baseOffset! });
    }
    return out;
  } finally {
    await producer.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// A second, private broker (scripts/kafka.mjs with its own home dir and port)

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
