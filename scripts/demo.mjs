// `npm run demo`: the main job end to end. Starts the local broker if none is up (and the embedded
// MariaDB when no MYSQL_URL is set and nothing answers on 127.0.0.1:3306), migrates a demo database,
// generates and emits a stream, runs the projector until it has caught up, then prints row counts
// and an analytics query.
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import mysql from "mysql2/promise";
import { findMysql } from "./mysql.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const events = Number(process.env.DEMO_EVENTS ?? 20000);
// MYSQL_URL when set (its database, default projector_demo), else a server on 127.0.0.1:3306, else
// the embedded MariaDB (scripts/mysql.mjs).
const given = process.env.MYSQL_URL ? new URL(process.env.MYSQL_URL) : undefined;
const database = decodeURIComponent(given?.pathname.replace(/^\//, "") ?? "") || "projector_demo";
const prefix = `demo-${Date.now()}.`; // fresh topics: a second demo does not re-read the first one's events
const step = (title) => process.stdout.write(`\n== ${title}\n`);

step("services");
const server = await findMysql();
execFileSync(process.execPath, [`${root}scripts/kafka.mjs`, "start"], { stdio: "inherit" });
const env = {
  ...process.env,
  MYSQL_URL: `${server}/${database}`,
  KAFKA_TOPIC_PREFIX: prefix,
  KAFKA_GROUP_ID: `projector-${prefix.slice(0, -1)}`,
  LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
};
const cli = (args, opts = {}) =>
  execFileSync(process.execPath, [`${root}bin/projector.js`, ...args], { env, stdio: "inherit", ...opts });

// A demo database starts empty; any other database is projected into as it is (never dropped).
if (/demo/i.test(database)) {
  const admin = await mysql.createConnection(server);
  await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await admin.end();
}
step(`migrate ${database}`);
cli(["migrate"], { stdio: ["ignore", "ignore", "inherit"] });

step(`generate ${events} events | emit (topics ${prefix}*)`);
const stream = spawnSync(
  process.execPath,
  [`${root}bin/projector.js`, "generate", "--count", String(events), "--seed", "7"],
  { env, maxBuffer: 1 << 30 },
);
cli(["emit", "-"], { input: stream.stdout, stdio: ["pipe", "inherit", "inherit"] });

step("run --until-caught-up");
cli(["run", "--until-caught-up"]);

step("status");
cli(["status"]);

step("revenue by shipping country (orders not cancelled)");
const c = await mysql.createConnection(`${server}/${database}`);
const [rows] = await c.query(
  `SELECT shipping_country AS country, COUNT(*) AS orders, ROUND(SUM(total_cents) / 100, 2) AS revenue, currency
     FROM orders WHERE status <> 'cancelled' GROUP BY shipping_country, currency ORDER BY revenue DESC LIMIT 10`,
);
console.table(rows);
await c.end();
const shown = new URL(`${server}/${database}`);
if (shown.password) shown.password = "***";
process.stdout.write(`\nexplore the tables at ${shown}\n`);
