// `npm run demo`: the main job end to end on this machine. Starts the local broker if none is up
// (and MariaDB if it is stopped), migrates a demo database, generates and emits a stream, runs the
// projector until it has caught up, then prints row counts and an analytics query.
import { execFileSync, spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import mysql from "mysql2/promise";

const root = fileURLToPath(new URL("..", import.meta.url));
const events = Number(process.env.DEMO_EVENTS ?? 20000);
const database = process.env.DEMO_DATABASE ?? "projector_demo";
const server = process.env.DEMO_MYSQL ?? "mysql://root@127.0.0.1:3306";
const prefix = `demo-${Date.now()}.`; // fresh topics: a second demo does not re-read the first one's events
const env = {
  ...process.env,
  MYSQL_URL: `${server}/${database}`,
  KAFKA_TOPIC_PREFIX: prefix,
  KAFKA_GROUP_ID: `projector-${prefix.slice(0, -1)}`,
  LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
};
const cli = (args, opts = {}) =>
  execFileSync(process.execPath, [`${root}bin/projector.js`, ...args], { env, stdio: "inherit", ...opts });
const step = (title) => process.stdout.write(`\n== ${title}\n`);

async function mariadbUp() {
  try {
    const u = new URL(server);
    const c = await mysql.createConnection({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username) || "root",
      password: decodeURIComponent(u.password),
    });
    return c;
  } catch {
    return undefined;
  }
}

step("services");
let admin = await mariadbUp();
if (!admin) {
  process.stdout.write("MariaDB not reachable; starting it\n");
  spawnSync("start-stop-daemon", ["--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd"], {
    stdio: "inherit",
  });
  for (let i = 0; i < 60 && !admin; i++) {
    await sleep(500);
    admin = await mariadbUp();
  }
  if (!admin) throw new Error(`MariaDB did not come up at ${server}`);
}
execFileSync(process.execPath, [`${root}scripts/kafka.mjs`, "start"], { stdio: "inherit" });
await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
await admin.end();

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
process.stdout.write(`\nexplore: mysql -h127.0.0.1 -uroot ${database}\n`);
