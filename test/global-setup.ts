import { execFileSync, spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import mysql from "mysql2/promise";

/** Makes sure the real services the integration tests use are up: MariaDB (started if stopped) and the local Kafka broker. */
export default async function setup(): Promise<void> {
  await ensureMariadb();
  // The broker script is idempotent: it returns at once when a broker is already up.
  execFileSync(process.execPath, ["scripts/kafka.mjs", "start"], { stdio: "inherit" });
}

async function canConnect(): Promise<boolean> {
  try {
    const c = await mysql.createConnection({
      host: "127.0.0.1",
      port: 3306,
      user: "root",
      connectTimeout: 2000,
    });
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function ensureMariadb(): Promise<void> {
  if (await canConnect()) return;
  process.stderr.write("MariaDB is not reachable on 127.0.0.1:3306; starting it\n");
  spawnSync("start-stop-daemon", ["--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd"], {
    stdio: "inherit",
  });
  for (let i = 0; i < 60; i++) {
    if (await canConnect()) return;
    await sleep(500);
  }
  throw new Error("MariaDB did not come up on 127.0.0.1:3306");
}
