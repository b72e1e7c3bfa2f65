#!/usr/bin/env node
// Throughput, latency and memory benchmark of the write path. `npm run bench` (builds first).
// What each figure means, and the knobs (BENCH_* env): bench/README.md.
//
// Stages: map, sink, replay, naive, kafka, latency, backlog. The in-process stages (map, sink, naive)
// run in a worker child (this script with --worker <stage>) so that each one's peak RSS is its own.
// Everything the bench creates (databases pbench_*, topics bench-<run>-*, consumer groups) is removed
// at the end; the Kafka broker is started if needed and left running.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import kafkajs from "kafkajs";
import mysql from "mysql2/promise";
import { compile } from "../dist/src/compile/compile.js";
import { ABSENT } from "../dist/src/compile/json-path.js";
import { MapError, mapEvent } from "../dist/src/compile/map-event.js";
import {
  deleteChildrenStatement,
  deleteShape,
  deleteStatement,
  insertShape,
  insertStatement,
  updateShape,
  updateStatement,
  upsertShape,
  upsertStatement,
} from "../dist/src/compile/statements.js";
import { checkEnvelope, EnvelopeError } from "../dist/src/run/decode.js";
import { parseMysqlUrl } from "../dist/src/sink/mysql-url.js";
import { loadSpecDirOrThrow } from "../dist/src/specs/load.js";
import { generateEvents } from "../dist/tools/generate/social-commerce.js";
import { writeJsonl } from "../dist/tools/generate/write-jsonl.js";

const { Kafka, Partitioners, logLevel } = kafkajs;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SELF = fileURLToPath(import.meta.url);
const CLI = join(ROOT, "bin", "projector.js");
const OUT = join(ROOT, "bench", "out");
const PROJECTIONS = join(ROOT, "projections");
const STAGES = ["map", "sink", "replay", "naive", "kafka", "latency", "backlog"];
const SESSION_SQL =
  "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'";

// ─── config ──────────────────────────────────────────────────────────────────────────────────

function envInt(name, def, { min = 0 } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return def;
  const n = Number(raw.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min) {
    console.error(`bench: ${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

function readConfig() {
  const events = envInt("BENCH_EVENTS", 200_000, { min: 1 });
  const only = (process.env.BENCH_ONLY ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((s) => !STAGES.includes(s));
  if (unknown.length) {
    console.error(`bench: BENCH_ONLY: unknown stage(s) ${unknown.join(", ")} (known: ${STAGES.join(",")})`);
    process.exit(2);
  }
  return {
    events,
    seed: envInt("BENCH_SEED", 42, { min: -(2 ** 31) }),
    backlog: envInt("BENCH_BACKLOG", 1_000_000),
    latency_seconds: envInt("BENCH_LATENCY_SECONDS", 30, { min: 1 }),
    latency_rate: envInt("BENCH_LATENCY_RATE", 2000, { min: 100 }),
    latency_warmup: envInt("BENCH_LATENCY_WARMUP", 5, { min: 0 }),
    naive_events: Math.min(envInt("BENCH_NAIVE_EVENTS", events, { min: 1 }), events),
    sink_rows_per_statement: envInt("BENCH_SINK_ROWS", 1000, { min: 1 }),
    sink_statements_per_tx: envInt("BENCH_SINK_STATEMENTS_PER_TX", 5, { min: 1 }),
    only: only.length ? only : null,
    mysql_url: process.env.MYSQL_URL ?? "mysql://root@127.0.0.1:3306/projector",
    kafka_brokers: process.env.KAFKA_BROKERS ?? "127.0.0.1:9092",
    projector_batch_size: process.env.PROJECTOR_BATCH_SIZE ?? null, // null: the CLI defaults
  };
}

// ─── helpers shared by parent and workers ───────────────────────────────────────────────────────

const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const round = (n, d = 0) => (n === undefined || n === null || Number.isNaN(n) ? n : Number(n.toFixed(d)));
const q = (id) => `\`${String(id).replace(/`/g, "``")}\``;

/** The URL with another database name (credentials kept, never printed). */
function urlFor(base, database) {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

/** mysql2 options of the sink itself (src/sink/mysql-url.ts): same driver settings, same value formatting. */
function mysqlOptions(url, withDatabase = true) {
  const target = parseMysqlUrl(url);
  return withDatabase ? { ...target.options, database: target.database } : target.options;
}

async function connect(url, withDatabase = true) {
  const conn = await mysql.createConnection(mysqlOptions(url, withDatabase));
  await conn.query(SESSION_SQL);
  return conn;
}

function loadPlan() {
  return compile(loadSpecDirOrThrow(PROJECTIONS));
}

function readLines(file, limit = Number.POSITIVE_INFINITY) {
  const lines = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    lines.push(line);
    if (lines.length >= limit) break;
  }
  return lines;
}

/** Decode + route + map, as the executor's prepare() does. */
function mapLine(plan, line) {
  let value;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: "dead" };
  }
  const envelope = checkEnvelope(value);
  if (envelope instanceof EnvelopeError) return { kind: "dead" };
  const actions = plan.events.get(envelope.event_type);
  if (!actions) return { kind: "skip" };
  const ops = mapEvent(actions, envelope);
  if (ops instanceof MapError) return { kind: "dead" };
  return { kind: "event", ops };
}

/** Rows as the executor counts them: one per op, the child rows for replace. */
const rowsOf = (ops) => {
  let n = 0;
  for (const op of ops) n += op.rows ? op.rows.length : 1;
  return n;
};

// ─── workers (in-process stages, each in its own child) ────────────────────────────────────────

/** map: JSON.parse + checkEnvelope + route + mapEvent for every line; no I/O in the timed part. */
function workerMap({ stream }) {
  const plan = loadPlan();
  const lines = readLines(stream);
  let events = 0;
  let ops = 0;
  let rows = 0;
  let skipped = 0;
  let dead = 0;
  const started = performance.now();
  for (const line of lines) {
    const r = mapLine(plan, line);
    events++;
    if (r.kind === "event") {
      ops += r.ops.length;
      rows += rowsOf(r.ops);
    } else if (r.kind === "skip") skipped++;
    else dead++;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    events,
    ops,
    rows,
    skipped,
    dead,
    seconds: round(seconds, 3),
    events_per_second: Math.round(events / seconds),
    max_rss_mb: rssMb(),
  };
}

async function createSchema(conn, plan) {
  for (const t of plan.tables) await conn.query(t.ddl);
}

/**
 * sink limit: every row our write path inserts (upsert rows, append rows, replace child rows with
 * their parent key), written table by table (parents first) as raw multi-row upserts. Only the
 * database part is timed; the statements are built beforehand.
 */
async function workerSink({ stream, url, rowsPerStatement, statementsPerTx, order: rowOrder = "table" }) {
  const plan = loadPlan();
  const lines = readLines(stream);
  // One group per (table, column list): the column list of the action that produced the rows.
  const groups = new Map();
  // "table": all rows of a table together (the most favourable order, the yardstick). "stream": per
  // 1000 events in stream order, as any consumer of a stream has to write them.
  let batchNo = 0;
  const groupOf = (action) => {
    const cols =
      action.mode === "replace"
        ? [...action.where, ...action.columns].map((c) => c.name)
        : action.columns.map((c) => c.name);
    const key = `${batchNo}|${action.table.name}|${cols.join(",")}`;
    let g = groups.get(key);
    if (!g) {
      g = { table: action.table, cols, rows: [], batch: batchNo };
      groups.set(key, g);
    }
    return g;
  };
  let events = 0;
  for (const line of lines) {
    const r = mapLine(plan, line);
    events++;
    if (rowOrder === "stream" && events % 1000 === 0) batchNo++;
    if (r.kind !== "event") continue;
    for (const op of r.ops) {
      const mode = op.action.mode;
      if (mode === "upsert" || mode === "append") groupOf(op.action).rows.push(op.values);
      else if (mode === "replace") {
        const g = groupOf(op.action);
        for (const row of op.rows) g.rows.push([...op.where, ...row]);
      }
    }
  }
  lines.length = 0;
  const order = new Map(plan.tables.map((t, i) => [t.name, i]));
  const sorted = [...groups.values()].sort(
    (a, b) => a.batch - b.batch || order.get(a.table.name) - order.get(b.table.name),
  );
  const statements = [];
  let rows = 0;
  const perTable = {};
  for (const g of sorted) {
    const keys = new Set(g.table.primaryKey);
    const updates = g.cols.filter((c) => !keys.has(c)).map((c) => `${q(c)} = VALUES(${q(c)})`);
    const assignments = updates.length ? updates.join(", ") : `${q(g.cols[0])} = ${q(g.cols[0])}`;
    const prefix = `INSERT INTO ${q(g.table.name)} (${g.cols.map(q).join(",")}) VALUES `;
    const suffix = ` ON DUPLICATE KEY UPDATE ${assignments}`;
    for (let i = 0; i < g.rows.length; i += rowsPerStatement) {
      const chunk = g.rows.slice(i, i + rowsPerStatement);
      const params = [];
      const parts = [];
      for (const row of chunk) {
        let text = "(";
        for (let c = 0; c < row.length; c++) {
          const v = row[c];
          if (c > 0) text += ",";
          if (v === ABSENT) text += "DEFAULT";
          else {
            text += "?";
            params.push(v);
          }
        }
        parts.push(`${text})`);
      }
      statements.push({
        sql: prefix + parts.join(",") + suffix,
        params,
        table: g.table.name,
        rows: chunk.length,
      });
    }
    rows += g.rows.length;
    perTable[g.table.name] = (perTable[g.table.name] ?? 0) + g.rows.length;
  }
  groups.clear();

  const conn = await connect(url);
  try {
    await createSchema(conn, plan);
    let transactions = 0;
    const msByTable = {};
    const started = performance.now();
    for (let i = 0; i < statements.length; i += statementsPerTx) {
      await conn.query("START TRANSACTION");
      for (const s of statements.slice(i, i + statementsPerTx)) {
        try {
          const t0 = performance.now();
          await conn.query(s.sql, s.params);
          msByTable[s.table] = (msByTable[s.table] ?? 0) + performance.now() - t0;
        } catch (e) {
          throw new Error(`sink limit: statement on ${s.table} (${s.rows} rows) failed: ${e.message}`);
        }
      }
      await conn.query("COMMIT");
      transactions++;
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      events,
      rows,
      statements: statements.length,
      transactions,
      rows_per_statement: rowsPerStatement,
      statements_per_transaction: statementsPerTx,
      rows_by_table: perTable,
      statement_ms_by_table: Object.fromEntries(
        Object.entries(msByTable).map(([t, ms]) => [t, Math.round(ms)]),
      ),
      seconds: round(seconds, 3),
      rows_per_second: Math.round(rows / seconds),
      max_rss_mb: rssMb(),
    };
  } finally {
    await conn.end();
  }
}

/**
 * naive: the seeds' consumer design. One transaction per event, one single-row statement per op,
 * no guards and no pre-reads. Mapping is inside the timed loop (the consumer maps too).
 */
async function workerNaive({ stream, url, count }) {
  const plan = loadPlan();
  const conn = await connect(url);
  const run = async (s) => conn.query(s.sql, s.params);
  let events = 0;
  let applied = 0;
  let failed = 0;
  let skipped = 0;
  let rows = 0;
  let statements = 0;
  let firstError;
  try {
    await createSchema(conn, plan);
    const started = performance.now();
    // Streamed, not held in memory, so that the peak RSS is the consumer's (reading is ~0.1 % of the time).
    const rl = createInterface({ input: createReadStream(stream), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of rl) {
      if (events >= count) break;
      if (line.trim() === "") continue;
      events++;
      const r = mapLine(plan, line);
      if (r.kind !== "event") {
        skipped++;
        continue;
      }
      await conn.query("START TRANSACTION");
      try {
        for (const op of r.ops) {
          const action = op.action;
          switch (action.mode) {
            case "upsert":
              await run(upsertStatement(upsertShape(action, op.signature), [op]));
              statements++;
              break;
            case "append":
              await run(insertStatement(insertShape(action), [{ lead: [], values: op.values }]));
              statements++;
              break;
            case "replace": {
              await run(deleteChildrenStatement(action, [op.where]));
              statements++;
              const shape = insertShape(action);
              for (const row of op.rows) {
                await run(insertStatement(shape, [{ lead: op.where, values: row }]));
                statements++;
              }
              break;
            }
            case "update":
            case "soft_delete":
              await run(updateStatement(updateShape(action, op.signature), [op]));
              statements++;
              break;
            case "delete":
              await run(deleteStatement(deleteShape(action), [op]));
              statements++;
              break;
            default:
              throw new Error(`unknown mode ${action.mode}`);
          }
        }
        await conn.query("COMMIT");
        applied++;
        rows += rowsOf(r.ops);
      } catch (e) {
        failed++;
        firstError ??= String(e.message ?? e);
        await conn.query("ROLLBACK");
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      events,
      applied,
      failed,
      skipped,
      rows,
      statements,
      first_error: firstError,
      seconds: round(seconds, 3),
      events_per_second: Math.round(events / seconds),
      rows_per_second: Math.round(rows / seconds),
      max_rss_mb: rssMb(),
    };
  } finally {
    await conn.end();
  }
}

const WORKERS = { map: workerMap, sink: workerSink, naive: workerNaive };

if (process.argv[2] === "--worker") {
  const fn = WORKERS[process.argv[3]];
  try {
    const result = await fn(JSON.parse(process.env.BENCH_WORKER_ARGS ?? "{}"));
    process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`bench worker ${process.argv[3]}: ${e.stack ?? e}\n`);
    process.exit(1);
  }
}

// ─── parent: children, databases, Kafka ─────────────────────────────────────────────────────────

const config = readConfig();
const runId = `${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "")}-${process.pid}`;
const children = new Set();
const createdDbs = new Set();
const createdTopics = new Set();
const createdGroups = new Set();
const logDir = join(OUT, "logs");

const info = (msg) => process.stderr.write(`bench: ${msg}\n`);
const want = (stage) => (config.only ? config.only.includes(stage) : true);

/**
 * Runs a child process: stdout collected, stderr appended to bench/out/logs/<log>.log.
 * Resolves with exit code, stdout and wall-clock seconds; never rejects on a non-zero exit.
 */
function runChild(args, { env = {}, log, onSpawn } = {}) {
  return new Promise((resolvePromise, reject) => {
    const logFile = join(logDir, `${log}.log`);
    const errOut = createWriteStream(logFile, { flags: "a" });
    errOut.write(
      `\n# ${new Date().toISOString()} node ${args.map((a) => relative(ROOT, a) || a).join(" ")}\n`,
    );
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.pipe(errOut);
    child.on("error", (e) => {
      children.delete(child);
      reject(e);
    });
    child.on("close", (code, signal) => {
      children.delete(child);
      const seconds = (performance.now() - started) / 1000;
      errOut.end();
      resolvePromise({ code, signal, stdout, seconds, logFile });
    });
    onSpawn?.(child);
  });
}

function failure(what, r) {
  const tail = existsSync(r.logFile) ? readFileSync(r.logFile, "utf8").trimEnd().split("\n").slice(-8) : [];
  return new Error(
    `${what} exited with ${r.signal ?? `code ${r.code}`}; see ${relative(ROOT, r.logFile)}\n    ${tail.join("\n    ")}`,
  );
}

async function worker(stage, args) {
  const r = await runChild([SELF, "--worker", stage], {
    env: { BENCH_WORKER_ARGS: JSON.stringify(args) },
    log: stage,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (r.code !== 0 || !line) throw failure(`worker ${stage}`, r);
  return JSON.parse(line.slice("BENCH_RESULT ".length));
}

/** `projector <args>`; returns the child's result (code checked) and the JSON summary if any. */
async function projector(args, { env, log, onSpawn, allowSignal = false }) {
  const r = await runChild([CLI, ...args], { env, log, onSpawn });
  if (r.code !== 0 && !(allowSignal && r.signal === "SIGTERM")) throw failure(`projector ${args[0]}`, r);
  const json = r.stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  return { ...r, summary: json ? JSON.parse(json) : undefined };
}

let admin; // mysql2 connection without a database
async function freshDb(stage, { migrate = true } = {}) {
  const db = `pbench_${stage}`;
  admin ??= await connect(config.mysql_url, false);
  await admin.query(`DROP DATABASE IF EXISTS ${q(db)}`);
  await admin.query(`CREATE DATABASE ${q(db)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  createdDbs.add(db);
  const url = urlFor(config.mysql_url, db);
  if (migrate) await projector(["migrate"], { env: { MYSQL_URL: url }, log: `${stage}-migrate` });
  return { db, url };
}

/**
 * Waits until InnoDB has written back what earlier stages left dirty (and purged their history), so
 * that every database stage starts from the same quiet server instead of paying for the one before.
 * Done when the dirty pages are under 5 % of the buffer pool or stop shrinking; 120 s at most.
 */
async function quiesce() {
  admin ??= await connect(config.mysql_url, false);
  const status = async () => {
    const [rows] = await admin.query(
      "SELECT VARIABLE_NAME AS n, VARIABLE_VALUE AS v FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('INNODB_BUFFER_POOL_PAGES_DIRTY', 'INNODB_BUFFER_POOL_PAGES_TOTAL', 'INNODB_HISTORY_LIST_LENGTH')",
    );
    const get = (n) => Number(rows.find((r) => r.n === n)?.v ?? 0);
    return {
      dirty: get("INNODB_BUFFER_POOL_PAGES_DIRTY"),
      total: get("INNODB_BUFFER_POOL_PAGES_TOTAL"),
      history: get("INNODB_HISTORY_LIST_LENGTH"),
    };
  };
  const t0 = performance.now();
  let first;
  try {
    first = await status();
  } catch (e) {
    // MySQL 8 keeps these counters elsewhere (performance_schema): start without waiting.
    return { skipped: String(e.message ?? e) };
  }
  let last = first;
  for (;;) {
    const quiet = last.dirty <= 0.05 * last.total && last.history < 1000;
    if (quiet || performance.now() - t0 > 120_000) break;
    await sleep(1000);
    const now = await status();
    const stalled = now.dirty >= last.dirty && now.history >= last.history;
    last = now;
    if (stalled) break;
  }
  return {
    seconds: round((performance.now() - t0) / 1000, 1),
    dirty_pages_before: first.dirty,
    dirty_pages_after: last.dirty,
    history_after: last.history,
  };
}

async function tableCounts(db, plan) {
  const out = {};
  for (const t of plan.tables) {
    const [rows] = await admin.query(`SELECT COUNT(*) AS n FROM ${q(db)}.${q(t.name)}`);
    out[t.name] = Number(rows[0].n);
  }
  return out;
}

async function ensureStream(count, seed) {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `stream-${count}-${seed}.jsonl`);
  if (existsSync(file)) return file;
  info(`generating ${count} events (seed ${seed}) → ${relative(ROOT, file)}`);
  const tmp = `${file}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  const written = await writeJsonl(generateEvents({ count, seed }), out);
  await new Promise((res, rej) => {
    out.on("error", rej);
    out.end(res);
  });
  if (written !== count) throw new Error(`generated ${written} of ${count} events`);
  renameSync(tmp, file);
  return file;
}

let kafkaClient;
function kafka() {
  kafkaClient ??= new Kafka({
    clientId: "projector-bench",
    brokers: config.kafka_brokers.split(",").map((b) => b.trim()),
    logLevel: logLevel.NOTHING,
  });
  return kafkaClient;
}

let brokerChecked = false;
async function ensureBroker() {
  if (brokerChecked) return;
  const r = await runChild([join(ROOT, "scripts", "kafka.mjs"), "start"], { log: "kafka-start" });
  if (r.code !== 0) throw failure("scripts/kafka.mjs start", r);
  brokerChecked = true;
}

function kafkaEnv(stage, dbUrl) {
  const prefix = `bench-${runId}-${stage}-`;
  const group = `bench-${runId}-${stage}`;
  createdGroups.add(group);
  return {
    prefix,
    group,
    env: {
      MYSQL_URL: dbUrl,
      KAFKA_BROKERS: config.kafka_brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: group,
    },
  };
}

async function emitFile(stage, file, env, plan, events) {
  for (const t of plan.topics) createdTopics.add(env.KAFKA_TOPIC_PREFIX + t);
  const r = await projector(["emit", file], { env, log: `${stage}-emit` });
  const m = /emitted (\d+) events .*\((\d+) events\/s\)/.exec(r.stdout);
  const sent = m ? Number(m[1]) : undefined;
  if (sent !== events) throw new Error(`emit sent ${sent} of ${events} events: ${r.stdout.trim()}`);
  return { events: sent, seconds: round(r.seconds, 3), events_per_second: Math.round(sent / r.seconds) };
}

const totalRows = (summary) => Object.values(summary.rows_by_table ?? {}).reduce((a, b) => a + b, 0);

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

async function httpGet(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: "" };
  }
}

/** Prometheus text → [{name, labels, value}]. */
/**
 * Quantile from cumulative buckets [{le (ms), count}], interpolated linearly inside the bucket that
 * holds it (as Prometheus' histogram_quantile does; the lowest bucket starts at 0).
 */
function histogramQuantile(buckets, q) {
  const total = buckets.at(-1).count;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower; // beyond the largest bound: report the bound
      return lower + (b.le - lower) * ((rank - below) / Math.max(b.count - below, 1));
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}

function parseMetrics(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

// ─── stages ────────────────────────────────────────────────────────────────────────────────────

async function stageMap(ctx) {
  const r = await worker("map", { stream: ctx.stream });
  return { ...r, notes: `${r.ops} ops, ${r.skipped} skipped, ${r.dead} dead; RSS holds the whole file` };
}

async function stageSink(ctx) {
  const run = async (order) => {
    const { url } = await freshDb("sink", { migrate: false });
    return worker("sink", {
      stream: ctx.stream,
      url,
      rowsPerStatement: config.sink_rows_per_statement,
      statementsPerTx: config.sink_statements_per_tx,
      order,
    });
  };
  const r = await run("table");
  // The same rows grouped per 1000 events in stream order: what a stream consumer's writes cost
  // when its tables together outgrow the buffer pool. Reported beside the yardstick, not instead.
  const quiet = await quiesce();
  const s = await run("stream");
  return {
    ...r,
    stream_order: { ...s, quiesced: quiet },
    notes: `${r.rows} rows, ${r.rows_per_statement}/stmt, ${r.statements_per_transaction} stmt/tx, table by table; in stream order ${fmt(s.rows_per_second)} rows/s; RSS holds all rows`,
  };
}

/** The figures of a `replay`/`run --json` child: its summary, and its wall clock beside it. */
function summaryFigures(r, what) {
  const s = r.summary;
  if (!s) throw new Error(`${what} printed no JSON summary`);
  const rows = totalRows(s);
  return {
    events: s.read,
    rows,
    events_per_second: s.events_per_second,
    rows_per_second: s.rows_per_second,
    max_rss_mb: s.max_rss_mb,
    seconds: s.seconds,
    wall_seconds: round(r.seconds, 3),
    wall_events_per_second: Math.round(s.read / r.seconds),
    wall_rows_per_second: Math.round(rows / r.seconds),
    summary: s,
  };
}

async function stageReplay(ctx) {
  const { db, url } = await freshDb("replay");
  const r = await projector(["replay", ctx.stream, "--json"], { env: { MYSQL_URL: url }, log: "replay" });
  const f = summaryFigures(r, "replay");
  const s = f.summary;
  ctx.counts.replay = await tableCounts(db, ctx.plan);
  return {
    ...f,
    notes: `wall ${f.wall_events_per_second} ev/s; ${s.dead_lettered} dead, ${s.stale} stale, ${s.skipped} skipped`,
  };
}

async function stageNaive(ctx) {
  const { db, url } = await freshDb("naive", { migrate: false });
  const r = await worker("naive", { stream: ctx.stream, url, count: config.naive_events });
  ctx.counts.naive = await tableCounts(db, ctx.plan);
  const scaled = r.events < config.events ? `only ${r.events} of ${config.events} events; ` : "";
  return { ...r, notes: `${scaled}${r.failed} failed events, ${r.statements} statements` };
}

async function stageKafka(ctx) {
  await ensureBroker();
  const { db, url } = await freshDb("kafka");
  const { env } = kafkaEnv("kafka", url);
  const emitted = await emitFile("kafka", ctx.stream, env, ctx.plan, config.events);
  info(
    `kafka: emitted ${emitted.events} events in ${emitted.seconds} s, draining with run --until-caught-up`,
  );
  const r = await projector(["run", "--until-caught-up", "--json"], { env, log: "kafka-run" });
  const f = summaryFigures(r, "run");
  ctx.counts.kafka = await tableCounts(db, ctx.plan);
  const missing = f.events < config.events ? `read only ${f.events} of ${config.events}! ` : "";
  return {
    ...f,
    emit: emitted,
    notes: `${missing}wall ${f.wall_events_per_second} ev/s; emit ${emitted.events_per_second} ev/s; ${f.summary.dead_lettered} dead`,
  };
}

/** Reads up to `limit` lines of the stream as envelopes (for re-wrapping). */
async function readEnvelopes(file, limit) {
  const out = [];
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) {
    if (line.trim() === "") continue;
    out.push(JSON.parse(line));
    if (out.length >= limit) break;
  }
  rl.close();
  return out;
}

async function stageLatency(ctx) {
  await ensureBroker();
  const rate = config.latency_rate;
  const seconds = config.latency_seconds;
  const warmup = config.latency_warmup;
  const total = rate * seconds;
  const perTick = 20;
  const tickMs = (1000 * perTick) / rate; // 10 ms at 2000 events/s
  const envelopes = await readEnvelopes(ctx.stream, total + rate * warmup);
  const { url } = await freshDb("latency");
  const { env, prefix } = kafkaEnv("latency", url);
  const client = kafka();
  const kadmin = client.admin();
  await kadmin.connect();
  const topics = ctx.plan.topics.map((t) => prefix + t);
  try {
    for (const t of topics) createdTopics.add(t);
    await kadmin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: 6 })),
      waitForLeaders: true,
    });
  } finally {
    await kadmin.disconnect();
  }
  const port = await freePort();
  let child;
  const running = projector(["run", "--metrics-port", String(port), "--json"], {
    env,
    log: "latency-run",
    allowSignal: true,
    onSpawn: (c) => {
      child = c;
    },
  });
  let exited = false;
  running.then(
    () => (exited = true),
    () => (exited = true),
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    const readyBy = Date.now() + 60_000;
    while ((await httpGet(`${base}/readyz`)).status !== 200) {
      if (exited) await running; // throws with the log tail
      if (Date.now() > readyBy) throw new Error("run did not become ready within 60 s");
      await sleep(200);
    }
    const producer = client.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    // Warm up: an empty batch loads the topics' metadata, so the first tick does not pay for it.
    await producer.sendBatch({ acks: -1, topicMessages: topics.map((topic) => ({ topic, messages: [] })) });
    let cursor = 0;
    // Every tick (10 ms at 2000/s) creates 20 events stamped with that moment. They are sent as one
    // batch; while a send is in flight (one request at a time, as the idempotent producer wants), the
    // next ticks' events queue up and go together in the following request: the rate holds even when
    // a round trip takes longer than a tick, and the queueing counts in the measured latency.
    const produceFor = async (secs) => {
      const count = rate * secs;
      let sent = 0;
      let acked = 0;
      let requests = 0;
      let sendError;
      let lateTicks = 0;
      let maxBatch = 0;
      let maxRequestMs = 0;
      const queue = [];
      let inflight;
      const pump = async () => {
        while (queue.length > 0 && !sendError) {
          const batch = queue.splice(0, queue.length);
          maxBatch = Math.max(maxBatch, batch.length);
          const byTopic = new Map();
          for (const { topic, message } of batch) {
            const list = byTopic.get(topic);
            if (list) list.push(message);
            else byTopic.set(topic, [message]);
          }
          try {
            const t0 = performance.now();
            await producer.sendBatch({
              acks: -1,
              topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
            });
            acked += batch.length;
            requests++;
            maxRequestMs = Math.max(maxRequestMs, performance.now() - t0);
          } catch (e) {
            sendError ??= e;
          }
        }
      };
      const started = performance.now();
      for (let k = 0; sent < count; k++) {
        const due = started + k * tickMs;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        else if (wait < -tickMs) lateTicks++;
        if (sendError) throw sendError;
        const n = Math.min(perTick, count - sent);
        const nowMs = Date.now();
        const now = new Date(nowMs).toISOString();
        for (let i = 0; i < n; i++) {
          const e = envelopes[cursor++ % envelopes.length];
          const value = JSON.stringify({ ...e, event_id: randomUUID(), timestamp: now });
          queue.push({
            topic: prefix + e.event_type.split(".")[0],
            message: { key: e.entity_id, value, timestamp: String(nowMs) },
          });
        }
        sent += n;
        inflight ??= pump().finally(() => {
          inflight = undefined;
        });
      }
      while (inflight) await inflight;
      await pump();
      if (sendError) throw sendError;
      const seconds = (performance.now() - started) / 1000;
      return { acked, seconds, requests, lateTicks, maxBatch, maxRequestMs };
    };
    // Drained: everything produced so far read, and every partition's lag 0. Returns /metrics then.
    let totalAcked = 0;
    const drained = async () => {
      const drainBy = Date.now() + 300_000;
      for (;;) {
        if (exited) await running;
        const m = parseMetrics((await httpGet(`${base}/metrics`)).text);
        const read = m.find((x) => x.name === "projector_events_read_total")?.value ?? 0;
        const lags = m.filter((x) => x.name === "projector_lag_events");
        if (read >= totalAcked && lags.length > 0 && lags.every((l) => l.value === 0)) return m;
        if (Date.now() > drainBy) throw new Error(`not drained after 300 s (read ${read} of ${totalAcked})`);
        await sleep(250);
      }
    };
    const histogram = (m) => {
      const buckets = m
        .filter((x) => x.name === "projector_event_to_commit_seconds_bucket")
        .map((x) => ({ le: x.labels.le === "+Inf" ? Infinity : Number(x.labels.le) * 1000, count: x.value }));
      if (buckets.length === 0)
        throw new Error("/metrics has no projector_event_to_commit_seconds histogram");
      return buckets;
    };
    // Warm-up: the first seconds of a fresh broker, producer and consumer (JIT, new partitions' files,
    // first fetches) are produced and drained first; only the window after it is measured. The
    // histogram over the whole run (warm-up included) is reported beside it.
    if (warmup > 0) {
      info(`latency: warm-up, ${rate * warmup} events at ${rate}/s`);
      const w = await produceFor(warmup);
      totalAcked += w.acked;
      await drained();
    }
    const before = warmup > 0 ? histogram(await drained()) : null;
    info(`latency: producing ${total} events at ${rate}/s for ${seconds} s`);
    const p = await produceFor(seconds);
    totalAcked += p.acked;
    await producer.disconnect();
    const produced = Math.round(p.acked / p.seconds);
    info(`latency: produced ${p.acked} in ${p.seconds.toFixed(1)} s (${produced}/s), waiting for lag 0`);
    const drainStarted = performance.now();
    const metrics = await drained();
    const drainedAfter = (performance.now() - drainStarted) / 1000;
    const whole = histogram(metrics);
    const window = whole.map((b, i) => ({ le: b.le, count: b.count - (before ? before[i].count : 0) }));
    const count = window.at(-1).count;
    if (count !== p.acked)
      throw new Error(`latency window holds ${count} commits for ${p.acked} events produced`);
    child.kill("SIGTERM");
    const r = await running;
    const s = r.summary;
    const p50 = round(histogramQuantile(window, 0.5), 1);
    const p90 = round(histogramQuantile(window, 0.9), 1);
    const p99 = round(histogramQuantile(window, 0.99), 1);
    const within500 = (window.find((b) => b.le === 500)?.count ?? 0) / count;
    const wholeP99 = round(histogramQuantile(whole, 0.99), 1);
    return {
      events: p.acked,
      target_rate: rate,
      seconds,
      warmup_seconds: warmup,
      produce_seconds: round(p.seconds, 3),
      events_per_second: produced,
      late_ticks: p.lateTicks,
      produce_requests: p.requests,
      largest_request_events: p.maxBatch,
      slowest_request_ms: Math.round(p.maxRequestMs),
      drained_after_seconds: round(drainedAfter, 2),
      p50_ms: p50,
      p90_ms: p90,
      p99_ms: p99,
      within_500ms: round(within500, 5),
      p99_including_warmup_ms: wholeP99,
      histogram_ms: window.map((b) => [b.le === Infinity ? "+Inf" : b.le, b.count]),
      latency_count: count,
      max_rss_mb: s?.max_rss_mb,
      summary: s,
      notes: `p50 ${p50} ms, p99 ${p99} ms (n=${count}, ${round(100 * within500, 2)} % ≤ 500 ms; after ${warmup} s warm-up, p99 ${wholeP99} ms with it); slowest send ${Math.round(p.maxRequestMs)} ms`,
    };
  } finally {
    if (!exited) {
      child?.kill("SIGTERM");
      await running.catch(() => undefined);
    }
  }
}

async function stageBacklog(ctx) {
  await ensureBroker();
  const file = await ensureStream(config.backlog, config.seed);
  const { url } = await freshDb("backlog");
  const { env } = kafkaEnv("backlog", url);
  info(`backlog: emitting ${config.backlog} events`);
  const emitted = await emitFile("backlog", file, env, ctx.plan, config.backlog);
  info(`backlog: emitted in ${emitted.seconds} s (${emitted.events_per_second} ev/s), draining`);
  const r = await projector(["run", "--until-caught-up", "--json"], { env, log: "backlog-run" });
  const f = summaryFigures(r, "run");
  const missing = f.events < config.backlog ? `read only ${f.events} of ${config.backlog}! ` : "";
  return {
    ...f,
    emit: emitted,
    notes: `${missing}${f.events} events; wall ${f.wall_events_per_second} ev/s; emit ${emitted.events_per_second} ev/s`,
  };
}

// ─── cleanup, report ───────────────────────────────────────────────────────────────────────────

async function cleanup() {
  for (const c of children) c.kill("SIGTERM");
  const dbs = [...createdDbs];
  createdDbs.clear();
  try {
    admin ??= await connect(config.mysql_url, false);
    for (const db of dbs) await admin.query(`DROP DATABASE IF EXISTS ${q(db)}`);
  } catch (e) {
    info(`could not drop ${dbs.join(", ")}: ${e.message}`);
  }
  await admin?.end().catch(() => undefined);
  admin = undefined;
  if ((createdTopics.size || createdGroups.size) && process.env.BENCH_KEEP_TOPICS !== "1") {
    const kadmin = kafka().admin();
    try {
      await kadmin.connect();
      const existing = new Set(await kadmin.listTopics());
      const topics = [...createdTopics].filter((t) => existing.has(t));
      if (topics.length) await kadmin.deleteTopics({ topics, timeout: 30_000 });
      const groups = [...createdGroups];
      if (groups.length) await kadmin.deleteGroups(groups).catch(() => undefined);
    } catch (e) {
      info(`could not delete the bench topics/groups: ${e.message}`);
    } finally {
      await kadmin.disconnect().catch(() => undefined);
    }
  }
}

const fmt = (n) =>
  typeof n === "number" && Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–";

function ratioRows(stages) {
  const v = (s, k) => (stages[s]?.status === "ok" ? stages[s][k] : undefined);
  const div = (a, b) => (a !== undefined && b ? a / b : undefined);
  const mul = (a, b) => (a !== undefined && b !== undefined ? a * b : undefined);
  const rows = [
    {
      name: "replay / sink limit (rows/s)",
      value: div(v("replay", "rows_per_second"), v("sink", "rows_per_second")),
      target: 0.7,
      op: ">=",
      pct: true,
    },
    {
      // No target: the same rows written per 1000 events in stream order (see stageSink).
      name: "replay / sink limit in stream order",
      value: div(v("replay", "rows_per_second"), stages.sink?.stream_order?.rows_per_second),
      info: true,
      pct: true,
    },
    {
      name: "kafka / sink limit (rows/s)",
      value: div(v("kafka", "rows_per_second"), v("sink", "rows_per_second")),
      target: 0.5,
      op: ">=",
      pct: true,
    },
    {
      name: "kafka / naive (events/s)",
      value: div(v("kafka", "events_per_second"), v("naive", "events_per_second")),
      target: 20,
      op: ">=",
      unit: "×",
    },
    {
      // No target: what kafka / naive would be if kafka wrote its rows at the sink limit's rows/s
      // (= (kafka / naive) / (kafka / sink limit)), the most this machine's database allows.
      name: "kafka / naive at 100 % of the sink limit",
      value: div(
        div(
          mul(v("sink", "rows_per_second"), v("kafka", "events_per_second")),
          v("kafka", "rows_per_second"),
        ),
        v("naive", "events_per_second"),
      ),
      info: true,
      unit: "×",
    },
    {
      name: `latency p99 at ${config.latency_rate} events/s`,
      value: v("latency", "p99_ms"),
      target: 500,
      op: "<=",
      unit: " ms",
    },
    {
      name: `peak RSS draining ${fmt(config.backlog)} backlog`,
      value: v("backlog", "max_rss_mb"),
      target: 300,
      op: "<=",
      unit: " MB",
    },
  ];
  return rows.map((r) => ({
    ...r,
    pass:
      r.value === undefined || r.info ? undefined : r.op === ">=" ? r.value >= r.target : r.value <= r.target,
  }));
}

function printReport(stages, ratios) {
  const label = {
    map: "map (no I/O)",
    sink: "sink limit",
    replay: "replay",
    naive: "naive",
    kafka: "kafka",
    latency: "latency",
    backlog: "backlog",
  };
  const rows = [["stage", "events/s", "rows/s", "peak RSS MB", "notes"]];
  for (const name of STAGES) {
    const s = stages[name];
    if (!s || s.status === "skipped") continue;
    if (s.status !== "ok") {
      rows.push([label[name], "error", "", "", s.error.split("\n")[0].slice(0, 100)]);
      continue;
    }
    rows.push([
      label[name],
      fmt(s.events_per_second),
      fmt(s.rows_per_second),
      fmt(s.max_rss_mb),
      s.notes ?? "",
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) =>
    r
      .map((c, i) => (i === 0 || i === 4 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
      .join("  ");
  console.log("");
  console.log(line(rows[0]));
  console.log(widths.map((w) => "─".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log("");
  const show = (r, x) =>
    x === undefined
      ? "n/a"
      : r.pct
        ? `${(x * 100).toFixed(0)} %`
        : `${round(x, r.unit === "×" ? 1 : 0)}${r.unit}`;
  const rw = Math.max(...ratios.map((r) => r.name.length));
  for (const r of ratios) {
    const mark = r.info ? "info " : r.pass === undefined ? "  -  " : r.pass ? "PASS " : "MISS ";
    const target = r.info ? "no target" : `target ${r.op === ">=" ? "≥" : "≤"} ${show(r, r.target)}`;
    console.log(`${mark} ${r.name.padEnd(rw)}  ${show(r, r.value).padStart(8)}   ${target}`);
  }
  console.log("");
}

async function machineInfo() {
  const cpus = os.cpus();
  let mariadb;
  let mariadbSettings;
  try {
    admin ??= await connect(config.mysql_url, false);
    const [rows] = await admin.query(
      "SELECT VERSION() AS v, @@innodb_buffer_pool_size AS bp, @@innodb_flush_log_at_trx_commit AS flush",
    );
    mariadb = rows[0].v;
    // What the naive stage's cost per transaction and every stage's misses depend on.
    mariadbSettings = {
      innodb_buffer_pool_mb: Math.round(Number(rows[0].bp) / 2 ** 20),
      innodb_flush_log_at_trx_commit: Number(rows[0].flush),
    };
  } catch (e) {
    mariadb = `unknown (${e.message})`;
  }
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model,
    total_mem_mb: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    mariadb,
    mariadb_settings: mariadbSettings,
    load_average_at_start: os.loadavg().map((x) => round(x, 2)),
  };
}

function gitInfo() {
  return new Promise((res) => {
    const p = spawn("git", ["log", "-1", "--format=%H %s"], { cwd: ROOT });
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.on("error", () => res(undefined));
    p.on("close", () => {
      const s = spawn("git", ["status", "--porcelain", "--", "src", "projections"], { cwd: ROOT });
      let dirty = "";
      s.stdout.on("data", (d) => {
        dirty += d;
      });
      s.on("error", () => res({ commit: out.trim() }));
      s.on("close", () => res({ commit: out.trim(), dirty_files: dirty.split("\n").filter(Boolean).length }));
    });
  });
}

async function main() {
  mkdirSync(logDir, { recursive: true });
  for (const stage of STAGES) rmSync(join(logDir, `${stage}.log`), { force: true });
  const plan = loadPlan();
  const startedAt = new Date();
  const machine = await machineInfo();
  const git = await gitInfo();
  info(
    `run ${runId}: ${config.events} events, seed ${config.seed}; stages ${(config.only ?? STAGES).join(",")}`,
  );
  const stream = await ensureStream(config.events, config.seed);
  const ctx = { plan, stream, counts: {} };
  const stages = {};
  const fns = {
    map: stageMap,
    sink: stageSink,
    replay: stageReplay,
    naive: stageNaive,
    kafka: stageKafka,
    latency: stageLatency,
    backlog: stageBacklog,
  };
  try {
    for (const name of STAGES) {
      if (!want(name) || (name === "backlog" && config.backlog === 0)) {
        stages[name] = { status: "skipped" };
        continue;
      }
      const settled = name === "map" ? undefined : await quiesce();
      const t0 = performance.now();
      info(`${name}: running…`);
      try {
        stages[name] = { status: "ok", ...(await fns[name](ctx)), ...(settled ? { quiesced: settled } : {}) };
        const s = stages[name];
        info(
          `${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s — ${fmt(s.events_per_second)} events/s, ${fmt(s.rows_per_second)} rows/s, ${fmt(s.max_rss_mb)} MB`,
        );
      } catch (e) {
        stages[name] = { status: "error", error: String(e.message ?? e) };
        info(`${name}: FAILED: ${e.message ?? e}`);
      }
    }
  } finally {
    await cleanup();
  }
  // Sanity: the same stream through replay and through Kafka gives the same row counts.
  const checks = {};
  if (ctx.counts.replay && ctx.counts.kafka) {
    const diff = Object.keys(ctx.counts.replay).filter((t) => ctx.counts.replay[t] !== ctx.counts.kafka[t]);
    checks.replay_kafka_same_row_counts = diff.length === 0;
    if (diff.length) {
      checks.replay_kafka_count_diff = Object.fromEntries(
        diff.map((t) => [t, { replay: ctx.counts.replay[t], kafka: ctx.counts.kafka[t] }]),
      );
      info(`warning: replay and kafka row counts differ in ${diff.join(", ")}`);
    }
  }
  const ratios = ratioRows(stages);
  printReport(stages, ratios);
  const results = {
    date: startedAt.toISOString(),
    run_id: runId,
    duration_seconds: round((Date.now() - startedAt.getTime()) / 1000, 1),
    config: {
      ...config,
      mysql_url: undefined,
      stream: relative(ROOT, stream),
      stream_bytes: statSync(stream).size,
    },
    machine,
    git,
    stages,
    ratios: ratios.map(({ name, value, target, op, pass }) => ({
      name,
      value: round(value, 3),
      target,
      op,
      pass,
    })),
    table_counts: ctx.counts,
    checks,
  };
  const text = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(OUT, `results-${runId}.json`), text);
  if (!config.only) {
    writeFileSync(join(ROOT, "bench", "results.json"), text);
    info(`wrote bench/results.json (and bench/out/results-${runId}.json)`);
  } else {
    info(`BENCH_ONLY set: wrote bench/out/results-${runId}.json only`);
  }
  const failed = Object.values(stages).some((s) => s.status === "error");
  return failed ? 1 : 0;
}

let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    info(`${sig}: stopping children and cleaning up…`);
    cleanup().finally(() => process.exit(130));
  });
}

process.exitCode = await main();
process.exit(process.exitCode);
