/**
 * An error of the database, as data: the server's errno and code, and whether the same work may
 * succeed when sent again (`transient`: the connection, a lock, the schema or the grants, the
 * server's state; not the data). The retry layer decides from that flag alone. The message never
 * holds credentials (the sink scrubs them).
 */
export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly errno: number | undefined,
    readonly code: string | undefined,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = "DatabaseError";
  }
}
