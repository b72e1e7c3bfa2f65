/** MySQL/MariaDB error numbers and driver codes after which the same batch may succeed on retry. */
const TRANSIENT_ERRNO = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1040, // ER_CON_COUNT_ERROR
  1053, // ER_SERVER_SHUTDOWN
  1077, // ER_NORMAL_SHUTDOWN
  1078, // ER_GOT_SIGNAL
  1079, // ER_SHUTDOWN_COMPLETE
  1152, // ER_ABORTING_CONNECTION
  1158,
  1159,
  1160,
  1161, // network read/write errors and timeouts
  1317, // ER_QUERY_INTERRUPTED
  1927, // ER_CONNECTION_KILLED (MariaDB)
  2002,
  2003,
  2006,
  2013,
  2055, // client: can't connect, server gone, lost connection
  4031, // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
]);

/**
 * Not about the event either: the schema or the grants changed under us, or the server cannot
 * write. Dead-lettering would throw good events away; a batch is retried (not-ready) until fixed.
 */
const SERVER_STATE_ERRNO = new Set([
  1044, // ER_DBACCESS_DENIED_ERROR
  1045, // ER_ACCESS_DENIED_ERROR
  1142, // ER_TABLEACCESS_DENIED_ERROR
  1143, // ER_COLUMNACCESS_DENIED_ERROR
  1227, // ER_SPECIFIC_ACCESS_DENIED_ERROR
  1054, // ER_BAD_FIELD_ERROR: a column dropped or renamed
  1146, // ER_NO_SUCH_TABLE
  1021, // ER_DISK_FULL
  1290, // ER_OPTION_PREVENTS_STATEMENT: --read-only
  1792, // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  1836, // ER_READ_ONLY_MODE
]);

const TRANSIENT_CODES = new Set([
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ER_CONNECTION_KILLED",
  "ER_SERVER_SHUTDOWN",
  "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR",
  "PROTOCOL_ENQUEUE_AFTER_QUIT",
]);

/**
 * True when the error is about the connection, locking, the schema, the grants or the server's
 * state, not about the data: retry the whole batch (and report not-ready), never dead-letter.
 */
export function isTransient(e: unknown): boolean {
  if (isConnectionError(e)) return true;
  const errno = (e as { errno?: number } | null)?.errno;
  return errno !== undefined && SERVER_STATE_ERRNO.has(errno);
}

/** The connection or a lock failed: the same statement may simply succeed when sent again. */
export function isConnectionError(e: unknown): boolean {
  if (!e || typeof e !== "object") return false;
  const err = e as { errno?: number; code?: string; fatal?: boolean; message?: string };
  if (needsSecureAuth(e)) return false; // fatal, but no outage: the URL must change
  if (err.errno !== undefined && TRANSIENT_ERRNO.has(err.errno)) return true;
  if (err.code !== undefined && TRANSIENT_CODES.has(err.code)) return true;
  if (err.fatal) return true;
  return /Connection lost|closed state|Can't add new command when connection is in closed state/i.test(
    err.message ?? "",
  );
}

/** The server refused the user or password (or the user's access to the database): a user error, not an outage. */
export function isAccessDenied(e: unknown): boolean {
  const errno = (e as { errno?: number } | null)?.errno;
  return errno === 1045 || errno === 1044 || errno === 1698 || needsSecureAuth(e);
}

/**
 * MySQL 8's caching_sha2_password asked for the password itself (a wrong one, or the first login
 * since the server started), which the driver sends only over TLS or with the server's RSA key:
 * the URL must say how (ssl-mode, or allow-public-key-retrieval on a trusted network).
 */
export function needsSecureAuth(e: unknown): boolean {
  return (e as { code?: string } | null)?.code === "PUBLIC_KEY_RETRIEVAL_NOT_ALLOWED";
}
