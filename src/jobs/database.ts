import type { CompiledSpec } from "../compile/compile.js";
import { META } from "../compile/engine-tables.js";
import { CATALOG_QUERIES, diffSchema, META_QUERY, type Migration } from "../compile/migration.js";
import { DatabaseError } from "../core/database-error.js";
import { log } from "../core/log.js";
import { UserError } from "../core/user-error.js";
import { isAccessDenied, isConnectionError, needsSecureAuth } from "../sink/mysql-errors.js";
import { isMissingDatabase, MysqlSink } from "../sink/mysql-sink.js";
import { parseMysqlUrl } from "../sink/mysql-url.js";

export const DEFAULT_MYSQL_URL = "mysql://root@127.0.0.1:3306/projector";

/** The MySQL URL of the flag, MYSQL_URL or the default; a malformed one is a user error (exit 1). */
export function mysqlUrl(flag?: string): string {
  const url = flag ?? process.env.MYSQL_URL ?? DEFAULT_MYSQL_URL;
  try {
    parseMysqlUrl(url);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  return url;
}

/** A failure to connect as the user sees it: refused credentials exit 1, an unreachable server 2. */
export function connectError(e: unknown): UserError {
  const msg = e instanceof DatabaseError ? e.message : String(e);
  if (needsSecureAuth(e))
    return new UserError(
      `MySQL asks for the password in full (caching_sha2_password: a wrong password, or the first login since the server started), which is sent only over TLS: add ?ssl-mode=REQUIRED (or ssl=true&ssl-ca=<file> to verify the server) to MYSQL_URL, or ?allow-public-key-retrieval=true on a network you trust (${msg.split(": ")[0]})`,
    );
  if (isAccessDenied(e))
    return new UserError(
      `MySQL refused the credentials: ${msg} (fix the user or password in MYSQL_URL or --mysql-url)`,
    );
  return new UserError(`cannot connect to MySQL: ${msg} (set MYSQL_URL or --mysql-url)`, 2);
}

/** Connects, turning "cannot reach the server" (exit 2) and refused credentials (exit 1) into clear user errors. */
export async function openSink(url: string, options: { createDatabase?: boolean } = {}): Promise<MysqlSink> {
  const sink = new MysqlSink(url, options);
  try {
    await sink.connection();
  } catch (e) {
    if (isMissingDatabase(e)) throw e; // not created (a dry run): the caller says so
    throw connectError(e);
  }
  return sink;
}

/** What the database lacks of the compiled specs (its catalogue read in one round trip). */
export async function planSchema(sink: MysqlSink, compiled: CompiledSpec): Promise<Migration> {
  const catalog = await sink.select(CATALOG_QUERIES);
  const hasMeta = (catalog[1] ?? []).some((r) => r.t === META);
  const [metaRows = []] = hasMeta ? await sink.select([META_QUERY]) : [];
  const meta = new Map(metaRows.map((r) => [String(r.name), String(r.value)]));
  return diffSchema({ catalog, meta }, compiled);
}

/** Creates what is missing (tables, columns, indexes) before a run; logs each statement. */
export async function ensureSchema(sink: MysqlSink, compiled: CompiledSpec): Promise<void> {
  const migration = await planSchema(sink, compiled);
  for (const w of migration.warnings) log.warn(w);
  for (const n of migration.notes) log.info(n);
  await migrate(sink, migration, (sql) => log.info("migrate", { sql: sql.split("\n")[0] }));
}

/** Applies a migration, one statement at a time; one MySQL refuses stops it with a user error naming it. */
export async function migrate(
  sink: MysqlSink,
  migration: Migration,
  onStatement: (sql: string) => void,
): Promise<void> {
  let current = "";
  try {
    for (const sql of migration.statements) {
      current = sql;
      onStatement(sql);
      await sink.query(sql);
    }
  } catch (e) {
    if (!(e instanceof DatabaseError) || isConnectionError(e)) throw e;
    throw new UserError(
      `migrate stopped at ${current.split("\n")[0]}: ${e.message}; the statements before it were applied, fix the cause and run migrate again`,
    );
  }
}
