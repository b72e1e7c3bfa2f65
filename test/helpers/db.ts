import { randomBytes } from "node:crypto";
import mysql, { type Connection, type RowDataPacket } from "mysql2/promise";

/** The server the integration tests use (found or started by test/global-setup.ts), without a database. */
export const ROOT_URL = process.env.PROJECTOR_TEST_MYSQL ?? "mysql://root@127.0.0.1:3306";

/** Connection options of ROOT_URL. */
export function serverOptions(): { host: string; port: number; user: string; password: string } {
  const u = new URL(ROOT_URL);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username) || "root",
    password: decodeURIComponent(u.password),
  };
}

/** A throwaway database for one test: its URL, a connection to it, and cleanup. */
export interface TestDb {
  readonly name: string;
  readonly url: string;
  readonly conn: Connection;
  rows<T = RowDataPacket>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Every table's rows, sorted, as JSON text: equal dumps mean identical tables. */
  dump(tables?: readonly string[]): Promise<Record<string, string>>;
  drop(): Promise<void>;
}

export async function createTestDb(prefix = "pj"): Promise<TestDb> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  const admin = await mysql.createConnection(serverOptions());
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const conn = await mysql.createConnection({
    ...serverOptions(),
    database: name,
    dateStrings: true,
    supportBigNumbers: true,
    timezone: "Z",
  });
  const db: TestDb = {
    name,
    url: `${ROOT_URL}/${name}`,
    conn,
    async rows<T>(sql: string, params: unknown[] = []) {
      const [r] = await conn.query(sql, params);
      return r as T[];
    },
    async dump(tables) {
      const names =
        tables ??
        (
          await db.rows<{ t: string }>(
            "SELECT TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'projector\\_%' ORDER BY 1",
          )
        ).map((r) => r.t);
      const out: Record<string, string> = {};
      for (const t of names) {
        const rows = await db.rows(`SELECT * FROM \`${t}\``);
        out[t] = JSON.stringify(rows.map((r) => JSON.stringify(r)).sort());
      }
      return out;
    },
    async drop() {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
  return db;
}

/** The dialect of the tests' server (MariaDB, or MySQL 8), as projector reads it from SELECT VERSION(). */
export async function serverDialect(): Promise<"mariadb" | "mysql"> {
  const conn = await mysql.createConnection(serverOptions());
  try {
    const [rows] = await conn.query("SELECT VERSION() AS v");
    return /mariadb/i.test(String((rows as RowDataPacket[])[0]?.v)) ? "mariadb" : "mysql";
  } finally {
    await conn.end();
  }
}

/** The collation projector gives key columns on the tests' server. */
export async function serverKeyCollation(): Promise<string> {
  return (await serverDialect()) === "mysql" ? "utf8mb4_0900_bin" : "utf8mb4_nopad_bin";
}

/** The index columns of the database's tables (all but the engine's, or `tables`), one line each, sorted. */
export async function indexesOf(db: TestDb, tables?: readonly string[]): Promise<string[]> {
  const rows = await db.rows<{ t: string; i: string; c: string; s: number; u: number }>(
    "SELECT TABLE_NAME t, INDEX_NAME i, COLUMN_NAME c, SEQ_IN_INDEX s, NON_UNIQUE u FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'projector\\_%'",
  );
  return rows
    .filter((r) => tables === undefined || tables.includes(r.t))
    .map((r) => `${r.t}.${r.i}(${r.s}:${r.c}) unique=${Number(r.u) === 0}`)
    .sort();
}
