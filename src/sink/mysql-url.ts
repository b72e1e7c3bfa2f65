import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "mysql2/promise";

export interface MysqlTarget {
  /** Connection options without a database (the database is created if missing). */
  readonly options: ConnectionOptions;
  readonly database: string;
  /** The URL with the password masked: the only form that is ever printed. */
  readonly display: string;
  /** Secrets to scrub from any message before it is printed. */
  readonly secrets: readonly string[];
}

/**
 * Parses `mysql://user:password@host:port/database?ssl=true&ssl-ca=/path/ca.pem`. TLS goes through
 * the URL: `ssl=true` (verify), `ssl-mode=REQUIRED` (encrypt without verifying), `ssl-ca`, `ssl-cert`, `ssl-key`.
 * `allow-public-key-retrieval=true` lets MySQL 8's caching_sha2_password send the password without
 * TLS, encrypted with a key the server sends (trust the network path: it could substitute the key).
 */
export function parseMysqlUrl(url: string): MysqlTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error("MYSQL_URL is not a valid URL (expected mysql://user:password@host:3306/database)");
  }
  if (u.protocol !== "mysql:" && u.protocol !== "mariadb:") {
    throw new Error(`MYSQL_URL must start with mysql:// (got ${u.protocol}//)`);
  }
  // An unencoded '/', '?' or '#' in the password ends the authority early: the rest of the password
  // lands in the path, query or fragment, where it would be echoed. Refuse it without echoing it.
  const afterScheme = url.slice(url.indexOf("//") + 2);
  const authorityEnd = afterScheme.search(/[/?#]/);
  const authority = authorityEnd < 0 ? afterScheme : afterScheme.slice(0, authorityEnd);
  const rest = authorityEnd < 0 ? "" : afterScheme.slice(authorityEnd);
  if (!authority.includes("@") && rest.includes("@")) {
    throw new Error(
      "MYSQL_URL: the user or password holds '/', '?' or '#' (or an '@' is in the path or query); percent-encode them (/ as %2F, ? as %3F, # as %23, @ as %40)",
    );
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || "projector";
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) {
    throw new Error(`database name in MYSQL_URL must use letters, digits and underscore, got "${database}"`);
  }
  const password = decodeURIComponent(u.password);
  const user = decodeURIComponent(u.username) || "root";
  const q = u.searchParams;
  let ssl: { rejectUnauthorized: boolean; ca?: string; cert?: string; key?: string } | undefined;
  const mode = (q.get("ssl-mode") ?? q.get("sslmode") ?? "").toUpperCase();
  if (q.get("ssl") === "true" || mode === "VERIFY_CA" || mode === "VERIFY_IDENTITY" || q.has("ssl-ca")) {
    ssl = { rejectUnauthorized: true };
  } else if (mode === "REQUIRED" || mode === "PREFERRED") {
    ssl = { rejectUnauthorized: false };
  }
  if (ssl) {
    const file = (k: string) => (q.get(k) ? readFileSync(q.get(k)!, "utf8") : undefined);
    const ca = file("ssl-ca");
    const cert = file("ssl-cert");
    const key = file("ssl-key");
    ssl = { ...ssl, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }
  const masked = new URL(url);
  if (masked.password) masked.password = "***";
  const options: ConnectionOptions = {
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 3306,
    user,
    password,
    charset: "utf8mb4_unicode_ci",
    timezone: "Z",
    dateStrings: true,
    supportBigNumbers: true,
    multipleStatements: true,
    connectTimeout: 10_000,
    ...(ssl ? { ssl } : {}),
    ...(q.get("allow-public-key-retrieval") === "true" ? { allowPublicKeyRetrieval: true } : {}),
  };
  return {
    options,
    database,
    display: masked.toString(),
    secrets: password ? [password, encodeURIComponent(password)] : [],
  };
}

/** Removes secrets from a message (driver errors can echo connection details). */
export function scrub(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join("***");
  return out;
}
