#!/usr/bin/env node
// A soak of `projector run` against events of types no spec declares (issue 24): SOAK_RATE events/s
// (default 1000) for SOAK_SECONDS (default 300), cycling over SOAK_TYPES distinct made-up types
// (default 10000), every other one with a bad envelope (no entity_id: a dead letter), on the
// `order` topic. Every 30 s it scrapes /metrics and prints the projector_* series, the dead-letter
// series, what was read and the run's RSS: the series must not grow with the types.
//
//   npm run build && node bench/soak/unknown-types.mjs
//
// Env: MYSQL_URL (a server; database pbench_soak is created and dropped), KAFKA_BROKERS
// (127.0.0.1:9092). Runs the built CLI (bin/projector.js); leaves nothing behind but the broker.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import mysql from "mysql2/promise";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const rate = Number(process.env.SOAK_RATE ?? 1000);
const seconds = Number(process.env.SOAK_SECONDS ?? 300);
const types = Number(process.env.SOAK_TYPES ?? 10000);
const brokers = process.env.KAFKA_BROKERS ?? "127.0.0.1:9092";
const server = new URL(process.env.MYSQL_URL ?? "mysql://root@127.0.0.1:3306");
server.pathname = "";
const id = randomBytes(3).toString("hex");
const prefix = `soak${id}.`;
const db = `pbench_soak_${id}`;

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};

const admin = await mysql.createConnection(server.toString().replace(/\/$/, ""));
await admin.query(`CREATE DATABASE \`${db}\``);
const url = `${server.toString().replace(/\/$/, "")}/${db}`;
const env = {
  ...process.env,
  MYSQL_URL: url,
  KAFKA_BROKERS: brokers,
  KAFKA_TOPIC_PREFIX: prefix,
  KAFKA_GROUP_ID: `soak-${id}`,
  LOG_LEVEL: "warn",
};
const cli = join(repo, "bin", "projector.js");
const port = await freePort();
const run = spawn(process.execPath, [cli, "run", "--metrics-port", String(port)], { env, stdio: "ignore" });
const kafka = new Kafka({ clientId: `soak-${id}`, brokers: [brokers], logLevel: logLevel.NOTHING });
const producer = kafka.producer();
await producer.connect();
const event = (i) =>
  JSON.stringify({
    event_type: `order.made_up_${i % types}`,
    event_id: `e-${i}`,
    timestamp: new Date().toISOString(),
    ...(i % 2 === 1 ? { entity_id: `x${i}` } : {}),
    data: { n: i },
  });

async function scrape() {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const lines = text.split("\n").filter((l) => l.startsWith("projector_"));
  const read = Number(/^projector_events_read_total (\d+)/m.exec(text)?.[1] ?? 0);
  return {
    series: lines.length,
    letters: lines.filter((l) => l.startsWith("projector_dead_letters{")).length,
    read,
  };
}

try {
  for (let t = 0; t < 120; t++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) break;
    } catch {}
    await sleep(500);
  }
  console.log(`soak: ${rate} events/s for ${seconds} s over ${types} made-up types (half of them letters)`);
  console.log("t(s)   sent      read      projector_* series  dead-letter series  run RSS (MB)");
  const started = Date.now();
  let sent = 0;
  let nextReport = 30;
  while ((Date.now() - started) / 1000 < seconds) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    if (due > sent) {
      const batch = Array.from({ length: due - sent }, (_, k) => ({
        key: `k${sent + k}`,
        value: event(sent + k),
      }));
      await producer.send({ topic: `${prefix}order`, messages: batch });
      sent = due;
    }
    if ((Date.now() - started) / 1000 >= nextReport) {
      const s = await scrape();
      console.log(
        `${String(nextReport).padEnd(6)} ${String(sent).padEnd(9)} ${String(s.read).padEnd(9)} ${String(s.series).padEnd(19)} ${String(s.letters).padEnd(19)} ${rssMb(run.pid)}`,
      );
      nextReport += 30;
    }
    await sleep(50);
  }
  for (let t = 0; t < 120 && (await scrape()).read < sent; t++) await sleep(500);
  const s = await scrape();
  const [[{ n }]] = await admin.query(
    `SELECT COUNT(DISTINCT event_type) n FROM \`${db}\`.projector_dead_letters`,
  );
  console.log(
    `end: sent ${sent}, read ${s.read}; ${s.series} projector_* series, ${s.letters} dead-letter series; MySQL keeps ${n} distinct raw types of letters; run RSS ${rssMb(run.pid)} MB`,
  );
} finally {
  run.kill("SIGTERM");
  await producer.disconnect();
  const a = kafka.admin();
  await a.connect();
  const topics = (await a.listTopics()).filter((t) => t.startsWith(prefix));
  if (topics.length) await a.deleteTopics({ topics }).catch(() => undefined);
  await a.deleteGroups([`soak-${id}`]).catch(() => undefined);
  await a.disconnect();
  await admin.query(`DROP DATABASE \`${db}\``);
  await admin.end();
}
