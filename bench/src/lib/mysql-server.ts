import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./paths.js";

type MysqlScript = typeof import("../../../scripts/mysql.mjs");

/**
 * The MySQL server of the run, as the test setup finds it: MYSQL_URL when set (kept whole, so that
 * its TLS options still apply), else a server answering on 127.0.0.1:3306, else the embedded
 * MariaDB of scripts/mysql.mjs (started, and left running). scripts/ is not compiled, so the module
 * is loaded from the repository at run time; its types come from scripts/mysql.d.mts.
 */
export async function findMysqlUrl(): Promise<string> {
  const fromEnv = process.env.MYSQL_URL;
  if (fromEnv) return fromEnv;
  const script = (await import(pathToFileURL(join(ROOT, "scripts", "mysql.mjs")).href)) as MysqlScript;
  return script.findMysql();
}
