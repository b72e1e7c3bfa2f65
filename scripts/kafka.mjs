#!/usr/bin/env node
// Local single-node Apache Kafka (KRaft, combined broker+controller) for dev, tests and CI.
//   node scripts/kafka.mjs start|stop|status
// Env: KAFKA_HOME_DIR (default <repo>/.kafka), KAFKA_PORT (default 9092; controller uses PORT+1).
// No Docker and no tarball: the broker jars come from Maven Central via `mvn` (cached in ~/.m2).
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const KAFKA_VERSION = "4.1.1"; // the 4.x line users run (KRaft only); docker-compose.yml uses the same
// Kafka 4 logs through slf4j 1.7 into log4j2 (its POM brings log4j-api/core but no slf4j binding).
const LOG4J_VERSION = "2.24.3"; // the log4j2 that kafka 4.1.1 is built against
const CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qk"; // any base64 16-byte UUID; fixed so re-formats are stable
const HOST = "127.0.0.1";
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const home = resolve(process.env.KAFKA_HOME_DIR || join(repo, ".kafka"));
const port = Number(process.env.KAFKA_PORT || 9092);
const p = {
  libs: join(home, "libs"),
  data: join(home, "data"),
  logs: join(home, "logs"),
  pom: join(home, "pom.xml"),
  props: join(home, "server.properties"),
  log4j: join(home, "log4j2.properties"),
  pid: join(home, "kafka.pid"),
  serverLog: join(home, "logs", "server.log"),
  stdoutLog: join(home, "logs", "stdout.log"),
};
const kafkaJar = join(p.libs, `kafka_2.13-${KAFKA_VERSION}.jar`);
// java expands the trailing `*` itself (we never go through a shell).
const javaBase = [`-Dlog4j2.configurationFile=${p.log4j}`, "-Djava.awt.headless=true", "-cp", `${p.libs}/*`];

const log = (msg) => console.log(`kafka: ${msg}`);
const fail = (msg) => {
  console.error(`kafka: ERROR: ${msg}`);
  process.exit(1);
};
const lines = (file) => (existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n") : []);
const dumpLogs = () => {
  const server = lines(p.serverLog);
  console.error(`--- last 30 lines of ${p.serverLog} ---\n${server.slice(-30).join("\n")}`);
  const out = lines(p.stdoutLog); // JVM-level failures (bad flags, missing classes) land here
  if (out.length) console.error(`--- last 30 lines of ${p.stdoutLog} ---\n${out.slice(-30).join("\n")}`);
  // The tail is often just a stack trace; the real cause (e.g. "Address already in use") is above it.
  const causes = server.filter((l) => /^\[.*\] (ERROR|FATAL) |^Caused by: /.test(l)).slice(-6);
  if (causes.length) console.error(`--- errors ---\n${causes.join("\n")}`);
};

/**
 * Connect to HOST:port; without `req`, succeed on TCP connect. With `req`, succeed when the
 * first 12 response bytes pass `check`. Never rejects.
 */
function talk(req, check, timeoutMs = 2000) {
  return new Promise((res) => {
    const s = connect({ host: HOST, port });
    let buf = Buffer.alloc(0);
    const done = (ok) => {
      s.destroy();
      res(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("error", () => done(false));
    s.once("close", () => done(false));
    s.once("connect", () => (req ? s.write(req) : done(true)));
    s.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 12) done(check(buf));
    });
  });
}
const portOpen = () => talk(null);

/**
 * One Kafka Metadata v1 round trip asking for no topics. A bare TCP connect is not enough:
 * the listener is bound before request processing is enabled, and the broker lists itself
 * as alive only once it is registered and unfenced, i.e. able to serve clients for real.
 */
function probe() {
  const clientId = Buffer.from("kafka.mjs");
  const req = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4);
  let o = req.writeInt32BE(req.length - 4, 0); // frame size
  o = req.writeInt16BE(3, o); // api_key = Metadata
  o = req.writeInt16BE(1, o); // api_version 1: an empty topic array means "no topics"
  o = req.writeInt32BE(42, o); // correlation_id
  o = req.writeInt16BE(clientId.length, o);
  o += clientId.copy(req, o);
  req.writeInt32BE(0, o); // topics: []
  // response: size int32, correlation_id int32, brokers array length int32, ...
  return talk(req, (buf) => buf.readInt32BE(4) === 42 && buf.readInt32BE(8) > 0);
}

/** Alive and not a zombie (a container's PID 1 may never reap our orphaned java). */
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
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** PID from the pid file if that process is alive and (where /proc exists) really is our broker. */
function runningPid() {
  if (!existsSync(p.pid)) return null;
  const pid = Number(readFileSync(p.pid, "utf8").trim());
  if (!pid || !isAlive(pid)) return null;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("kafka.Kafka")) return null; // pid reused
  } catch {}
  return pid;
}

/** First run: resolve kafka + an slf4j binding to log4j2 (the kafka POM ships none) into libs/ via Maven. */
function ensureJars() {
  if (existsSync(kafkaJar)) return;
  rmSync(p.libs, { recursive: true, force: true }); // drop jars of any other kafka version
  const dep = (g, a, v) =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  writeFileSync(
    p.pom,
    `<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/kafka.mjs: only used to fetch the broker's jars -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.projector</groupId><artifactId>kafka-dev-broker</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dep("org.apache.kafka", "kafka_2.13", KAFKA_VERSION)}
    ${dep("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION)}
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version>
  </plugin></plugins></build>
</project>
`,
  );
  log(`fetching kafka ${KAFKA_VERSION} jars with Maven (first run only)...`);
  const goal = ["dependency:copy-dependencies", `-DoutputDirectory=${p.libs}`, "-DincludeScope=runtime"];
  const args = ["-q", "-B", "-f", p.pom, ...goal];
  const r = spawnSync("mvn", args, { cwd: home, stdio: ["ignore", 2, 2] }); // stdout stays ours
  if (r.error) fail(`could not run mvn (${r.error.message}); install Maven 3 and a JDK 17+`);
  if (r.status !== 0 || !existsSync(kafkaJar)) {
    rmSync(p.libs, { recursive: true, force: true }); // don't leave a half-filled libs/ that looks done
    fail(`mvn ${args.join(" ")} failed (exit ${r.status}); is Maven Central reachable?`);
  }
}

/** Rewritten on every start so env overrides and edits here always take effect. */
function writeConfig() {
  writeFileSync(
    p.props,
    `node.id=1
process.roles=broker,controller
listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${port + 1}
advertised.listeners=PLAINTEXT://${HOST}:${port}
controller.listener.names=CONTROLLER
# static quorum, so the storage format needs no --standalone / --initial-controllers
controller.quorum.voters=1@${HOST}:${port + 1}
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${p.data}
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
# default 50: a slow first consumer-group join, and pointless on one node
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
# consumers in tests get their partitions immediately
group.initial.rebalance.delay.ms=0
# sized for a small (2-core) dev/CI box; the cleaner buffer defaults to 128 MiB of heap
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.dedupe.buffer.size=16777216
# keep everything: this broker's data is for replays, not production
log.retention.hours=-1
`,
  );
  // Kafka 4 logs through log4j2.
  writeFileSync(
    p.log4j,
    `status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = ${p.serverLog}
appender.file.filePattern = ${p.serverLog}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
`,
  );
}

/** KRaft needs its log dir formatted (meta.properties + bootstrap checkpoint) exactly once. */
function formatStorage() {
  if (existsSync(join(p.data, "meta.properties"))) return;
  const tool = ["kafka.tools.StorageTool", "format", "-t", CLUSTER_ID, "-c", p.props];
  const r = spawnSync("java", ["-Xmx256m", ...javaBase, ...tool], { encoding: "utf8" });
  if (r.error) fail(`could not run java (${r.error.message}); install a JDK 17+`);
  if (r.status !== 0) fail(`storage format failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

async function start() {
  const t0 = Date.now();
  let pid = runningPid(); // ours, maybe still starting (e.g. a parallel start): then just wait below
  if (!pid && (await portOpen())) {
    log(`${HOST}:${port} already accepts connections (not started by this script); leaving it alone`);
    return 0;
  }
  if (pid && !readFileSync(p.props, "utf8").includes(`PLAINTEXT://${HOST}:${port},`)) {
    fail(`the broker from ${home} (pid ${pid}) runs on another KAFKA_PORT; stop it first`);
  }
  if (pid && (await probe())) {
    log(`already up on ${HOST}:${port} (pid ${pid})`);
    return 0;
  }
  let exited = null;
  if (!pid) {
    for (const d of [home, p.logs, p.data]) mkdirSync(d, { recursive: true });
    ensureJars();
    writeConfig();
    formatStorage();
    const out = openSync(p.stdoutLog, "a");
    const jvm = ["-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", ...javaBase];
    const child = spawn("java", [...jvm, "kafka.Kafka", p.props], {
      cwd: home,
      detached: true,
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    child.on("error", (e) => fail(`could not run java (${e.message})`));
    child.on("exit", (code, sig) => (exited = sig || `code ${code}`));
    child.unref(); // the broker outlives this script
    pid = child.pid;
    writeFileSync(p.pid, `${pid}\n`);
    log(`launched broker pid ${pid}, waiting for it to serve requests...`);
  }
  while (Date.now() - t0 < READY_TIMEOUT_MS) {
    if (await probe()) {
      log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (pid ${pid}, logs in ${p.logs})`);
      log(`up on ${HOST}:${port}`);
      return 0;
    }
    if (exited || !isAlive(pid)) {
      console.error(`kafka: ERROR: broker process ${pid} exited early (${exited || "gone"})`);
      dumpLogs();
      rmSync(p.pid, { force: true });
      return 1;
    }
    await sleep(500);
  }
  console.error(`kafka: ERROR: pid ${pid} not ready after ${READY_TIMEOUT_MS / 1000}s (left running)`);
  dumpLogs();
  return 1;
}

async function stop() {
  const pid = runningPid();
  if (!pid) {
    rmSync(p.pid, { force: true });
    log("not running");
    return 0;
  }
  process.kill(pid, "SIGTERM"); // kafka does a clean (controlled) shutdown on TERM
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline && (isAlive(pid) || (await portOpen()))) await sleep(250);
  if (isAlive(pid)) {
    log(`pid ${pid} still alive after ${STOP_TIMEOUT_MS / 1000}s, sending SIGKILL`);
    process.kill(pid, "SIGKILL");
  }
  rmSync(p.pid, { force: true });
  log(`stopped (pid ${pid})`);
  return 0;
}

async function status() {
  if (await probe())
    log(`up on ${HOST}:${port}${runningPid() ? ` (pid ${runningPid()})` : " (not started by this script)"}`);
  else if (await portOpen())
    log(`${HOST}:${port} accepts connections but does not answer Kafka metadata (starting?)`);
  else log(`down (nothing on ${HOST}:${port})`);
  return 0;
}

const commands = { start, stop, status };
const cmd = commands[process.argv[2]];
if (!cmd) fail("usage: node scripts/kafka.mjs start|stop|status");
process.exit(await cmd());
