import mysql, { type Connection, type ConnectionOptions } from "mysql2/promise";
import { parseMysqlUrl } from "../../../src/sink/mysql-url.js";

/** The session settings of the sink's own connections. */
const SESSION_SQL =
  "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE'";

/** Quotes an identifier with backticks (the bench's own SQL: database and table names). */
export function q(id: string): string {
  return `\`${String(id).replace(/`/g, "``")}\``;
}

/** The URL with another database name (credentials kept, never printed). */
export function urlFor(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

/** mysql2 options of the sink itself (src/sink/mysql-url.ts): same driver settings, same value formatting. */
function mysqlOptions(url: string, withDatabase: boolean): ConnectionOptions {
  const target = parseMysqlUrl(url);
  return withDatabase ? { ...target.options, database: target.database } : target.options;
}

/** A connection with the sink's options and session; `withDatabase: false` connects to none. */
export async function connect(url: string, withDatabase = true): Promise<Connection> {
  const conn = await mysql.createConnection(mysqlOptions(url, withDatabase));
  await conn.query(SESSION_SQL);
  return conn;
}

/** The rows of a query, typed by the caller (the bench's own queries). */
export async function select<T>(conn: Connection, sql: string): Promise<T[]> {
  const [rows] = await conn.query(sql);
  return rows as T[];
}
