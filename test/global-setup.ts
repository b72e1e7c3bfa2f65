import { execFileSync } from "node:child_process";
import { findMysql } from "../scripts/mysql.mjs";

/**
 * Makes sure the real services the integration tests use are up: a MySQL-compatible server
 * (MYSQL_URL, else one answering on 127.0.0.1:3306, else the embedded MariaDB of scripts/mysql.mjs)
 * and the local Kafka broker. The server's URL reaches the tests as PROJECTOR_TEST_MYSQL.
 */
export default async function setup(): Promise<void> {
  const url = await findMysql();
  process.env.PROJECTOR_TEST_MYSQL = url;
  const shown = new URL(url);
  if (shown.password) shown.password = "***";
  process.stderr.write(`integration tests use MySQL at ${shown}\n`);
  // The broker script is idempotent: it returns at once when a broker is already up.
  execFileSync(process.execPath, ["scripts/kafka.mjs", "start"], { stdio: "inherit" });
}
