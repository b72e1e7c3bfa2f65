import os from "node:os";
import type { Connection } from "mysql2/promise";
import { messageOf } from "./log.js";
import { select } from "./mysql.js";
import { round } from "./numbers.js";

/** The machine and database server a run measured (`machine` in results.json). */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpu_model: string | undefined;
  readonly total_mem_mb: number;
  readonly platform: string;
  readonly node: string;
  readonly mariadb: string;
  /** What the naive stage's cost per transaction and every stage's misses depend on. */
  readonly mariadb_settings:
    | { readonly innodb_buffer_pool_mb: number; readonly innodb_flush_log_at_trx_commit: number }
    | undefined;
  readonly load_average_at_start: number[];
}

/** CPUs, memory, Node, the server's version and InnoDB settings, the load average now. */
export async function machineInfo(admin: () => Promise<Connection>): Promise<MachineInfo> {
  const cpus = os.cpus();
  let mariadb: string;
  let mariadbSettings: MachineInfo["mariadb_settings"];
  try {
    const [row] = await select<{ v: string; bp: number | string; flush: number | string }>(
      await admin(),
      "SELECT VERSION() AS v, @@innodb_buffer_pool_size AS bp, @@innodb_flush_log_at_trx_commit AS flush",
    );
    mariadb = String(row?.v);
    mariadbSettings = {
      innodb_buffer_pool_mb: Math.round(Number(row?.bp) / 2 ** 20),
      innodb_flush_log_at_trx_commit: Number(row?.flush),
    };
  } catch (e) {
    mariadb = `unknown (${messageOf(e)})`;
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
