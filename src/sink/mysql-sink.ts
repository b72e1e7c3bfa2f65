import mysql, { type Connection, type RowDataPacket } from "mysql2/promise";
import { createDatabaseSql, type Dialect, dialectOf } from "../compile/ddl.js";
import type { Statement } from "../compile/statements.js";
import { DatabaseError } from "../core/database-error.js";
import { log } from "../core/log.js";
import { executeChunked, warningsOf } from "./execute-chunked.js";
import { isTransient } from "./mysql-errors.js";
import { type MysqlTarget, parseMysqlUrl, scrub } from "./mysql-url.js";

/** Result rows of one statement. */
export type Rows = RowDataPacket[];

/** What a batch can do inside its transaction. */
export interface SinkTx {
  /** Runs the SELECTs in one round trip; the rows of each, in order. */
  select(statements: readonly Statement[]): Promise<Rows[]>;
  /**
   * Runs the statements, several per round trip. `whileWaiting` runs once, right after the first
   * round trip is sent: CPU work for the next batch then overlaps with MySQL's work on this one.
   * The SELECTs of `lead` go first, in the first round trip (no round trip of their own): the rows
   * of each, in order.
   */
  execute(
    statements: readonly Statement[],
    whileWaiting?: () => void,
    lead?: readonly Statement[],
  ): Promise<Rows[]>;
}

/** ER_BAD_DB_ERROR: the URL's database does not exist (a driver error or our DatabaseError). */
export function isMissingDatabase(e: unknown): boolean {
  return (e as { errno?: number } | null)?.errno === 1049;
}

/**
 * The only module that talks to MySQL. Two connections: the writer runs one transaction per batch
 * with autocommit off, so nothing queued behind a statement that failed (a deadlock rolls the
 * transaction back) can ever commit on its own; the reader answers side queries (offsets, lag,
 * migrations) with autocommit on, without slipping into a batch's transaction.
 */
export class MysqlSink {
  private writer: Connection | undefined;
  private reader: Connection | undefined;
  /** Set by close(): work still running afterwards (a retry, a lag check) must not open sessions nobody ends. */
  private closed = false;
  private readonly target: MysqlTarget;
  /** The server's max_allowed_packet (read when the writer connects); 4 MB until then. */
  private maxPacket = 4 << 20;
  private version: string | undefined;
  private warningCount = 0;
  /** Statement heads whose warnings were logged (each once; bounded). */
  private readonly warned = new Set<string>();

  /** With `createDatabase: false` (a dry run) a missing database is an error (errno 1049), not created. */
  constructor(
    url: string,
    private readonly options: { createDatabase?: boolean } = {},
  ) {
    this.target = parseMysqlUrl(url);
  }

  get display(): string {
    return this.target.display;
  }

  get database(): string {
    return this.target.database;
  }

  /** The server's max_allowed_packet (4 MB until the writer has read it). */
  get maxAllowedPacket(): number {
    return this.maxPacket;
  }

  /**
   * The server's dialect, which decides the statements' forms where MariaDB and MySQL differ. Known
   * once the writer has connected; before that the MariaDB forms, which MySQL 8 also runs (with a
   * deprecation warning for `VALUES()`).
   */
  get dialect(): Dialect {
    return this.version === undefined ? "mariadb" : dialectOf(this.version);
  }

  /**
   * The warnings the server raised for this sink's writes and DDL so far (a statement MySQL ran,
   * but not quite as written: a deprecated form, a value adjusted). Zero is the norm; each new kind
   * is logged once.
   */
  get warnings(): number {
    return this.warningCount;
  }

  private noteWarnings(n: number, sql: string): void {
    if (n === 0) return;
    this.warningCount += n;
    const head = sql.split(/\s+/, 4).join(" ").slice(0, 80);
    if (this.warned.size < 100 && !this.warned.has(head)) {
      this.warned.add(head);
      log.warn("MySQL raised warnings for a statement (SHOW WARNINGS names them; please report it)", {
        warnings: n,
        statement: head,
      });
    }
  }

  /** The most bytes one statement (or one round trip of several) may take: under max_allowed_packet. */
  get statementBytes(): number {
    const p = this.maxPacket;
    return p > 64 << 10 ? Math.floor(p * 0.9) - (16 << 10) : Math.floor(p / 2);
  }

  /** Wraps a driver error: message without secrets, transient flag for the retry layer. */
  wrap(e: unknown): DatabaseError {
    if (e instanceof DatabaseError) return e;
    const err = e as { message?: string; errno?: number; code?: string };
    const msg = scrub(String(err?.message ?? e), this.target.secrets);
    return new DatabaseError(`MySQL ${this.target.display}: ${msg}`, err?.errno, err?.code, isTransient(e));
  }

  /** Opens a session (creating the database if missing): UTC, strict mode. */
  private async open(autocommit: boolean): Promise<Connection> {
    let conn: Connection;
    try {
      conn = await mysql.createConnection({ ...this.target.options, database: this.target.database });
    } catch (e) {
      // ER_BAD_DB_ERROR: create it (unless this is a dry run)
      if (!isMissingDatabase(e) || this.options.createDatabase === false) throw e;
      const admin = await mysql.createConnection(this.target.options);
      await admin.query(createDatabaseSql(this.target.database));
      await admin.end();
      conn = await mysql.createConnection({ ...this.target.options, database: this.target.database });
    }
    // A dropped connection must not crash the process: the next use fails and is retried.
    conn.on("error", () => {
      if (this.writer === conn) this.writer = undefined;
      if (this.reader === conn) this.reader = undefined;
    });
    // Strict on every table. MySQL 8 warns (3135) unless ERROR_FOR_DIVISION_BY_ZERO comes with
    // NO_ZERO_DATE and NO_ZERO_IN_DATE: the set its own default has, which MariaDB takes too.
    await conn.query(
      `SET autocommit = ${autocommit ? 1 : 0}, time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE'`,
    );
    return conn;
  }

  /** The server's version, from a session without a database (it may not exist yet: a dry run). */
  async serverVersion(): Promise<string> {
    this.throwIfClosed();
    if (this.version !== undefined) return this.version;
    try {
      const admin = await mysql.createConnection(this.target.options);
      try {
        const [rows] = await admin.query("SELECT VERSION() AS v");
        this.version = String((rows as RowDataPacket[])[0]?.v ?? "");
        return this.version;
      } finally {
        await admin.end();
      }
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /** The writer session (connects on first use). */
  async connection(): Promise<Connection> {
    if (this.writer) return this.writer;
    this.throwIfClosed();
    try {
      const writer = await this.open(false);
      const [rows] = await writer.query("SELECT @@max_allowed_packet AS p, VERSION() AS v");
      const row = (rows as RowDataPacket[])[0];
      const p = Number(row?.p);
      if (Number.isFinite(p) && p > 0) this.maxPacket = p;
      if (row?.v) this.version = String(row.v);
      this.writer = writer;
      return writer;
    } catch (e) {
      throw this.wrap(e);
    }
  }

  private async readerConnection(): Promise<Connection> {
    if (this.reader) return this.reader;
    this.throwIfClosed();
    try {
      this.reader = await this.open(true);
      return this.reader;
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /** Drops the writer (after a transient error): the next transaction reconnects; its uncommitted work is discarded. */
  reset(): void {
    const c = this.writer;
    this.writer = undefined;
    c?.destroy();
  }

  private throwIfClosed(): void {
    // Transient: retry loops end on their own stop signal instead of treating it as bad data.
    if (this.closed)
      throw new DatabaseError(`MySQL ${this.target.display}: closed`, undefined, "SINK_CLOSED", true);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of [this.writer, this.reader]) await c?.end().catch(() => c.destroy());
    this.writer = undefined;
    this.reader = undefined;
  }

  /** SELECTs outside the batches' transactions (the reader session, as committed), one round trip. */
  async select(statements: readonly Statement[]): Promise<Rows[]> {
    return this.onReader((conn) => selectAll(conn, statements));
  }

  /** A query outside the batches' transactions (autocommit). */
  async query<T = RowDataPacket[]>(sql: string, params: unknown[] = []): Promise<T> {
    return this.onReader(async (conn) => {
      const [result] = await conn.query(sql, params);
      this.noteWarnings(warningsOf(result), sql);
      return result as T;
    });
  }

  /** Runs `fn` on the reader session; a transient failure drops the session (the next use reconnects). */
  private async onReader<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    const conn = await this.readerConnection();
    try {
      return await fn(conn);
    } catch (e) {
      if (isTransient(e)) {
        this.reader = undefined;
        conn.destroy();
      }
      throw this.wrap(e);
    }
  }

  /**
   * Runs `fn` in one transaction: all of it is committed, or none of it. START TRANSACTION goes
   * with the transaction's first query (one round trip less per batch); one that runs nothing
   * commits nothing.
   */
  async transaction<T>(fn: (tx: SinkTx) => Promise<T>): Promise<T> {
    const conn = await this.connection();
    const tx = this.tx(conn);
    try {
      const result = await fn(tx);
      if (tx.begun) await conn.query("COMMIT");
      return result;
    } catch (e) {
      const fromDriver =
        e instanceof DatabaseError || (typeof e === "object" && e !== null && ("errno" in e || "code" in e));
      if (!fromDriver) {
        // Not MySQL's answer: a bug in the caller. Roll back and let it surface as it is.
        await conn.query("ROLLBACK").catch(() => this.reset());
        throw e;
      }
      const wrapped = this.wrap(e);
      if (wrapped.transient) this.reset();
      else await conn.query("ROLLBACK").catch(() => this.reset());
      throw wrapped;
    }
  }

  private tx(conn: Connection): SinkTx & { readonly begun: boolean } {
    let begun = false;
    /** The statements, behind START TRANSACTION if they are the transaction's first. */
    const first = (statements: readonly Statement[]): readonly Statement[] => {
      if (begun || statements.length === 0) return statements;
      begun = true;
      return [START, ...statements];
    };
    return {
      get begun() {
        return begun;
      },
      select: async (statements) => {
        const all = first(statements);
        const rows = await selectAll(conn, all);
        return all === statements ? rows : rows.slice(1);
      },
      execute: async (statements, whileWaiting, lead = []) => {
        const head = first(lead);
        const all = head.length > 0 ? [...head, ...statements] : first(statements);
        const w = await executeChunked(
          conn,
          all,
          this.statementBytes,
          this.maxPacket,
          whileWaiting,
          head.length,
        );
        this.noteWarnings(w.count, w.sql ?? "");
        // The leading SELECTs' rows, without START TRANSACTION's answer.
        return w.leading.slice(head.length - lead.length) as Rows[];
      },
    };
  }
}

const START: Statement = { sql: "START TRANSACTION", params: [] };

/** Several SELECTs in one round trip (a multi-statement query): the rows of each. */
async function selectAll(conn: Connection, statements: readonly Statement[]): Promise<Rows[]> {
  if (statements.length === 0) return [];
  const [results] = await conn.query(
    statements.map((q) => q.sql).join(";\n"),
    statements.flatMap((q) => q.params),
  );
  return (statements.length === 1 ? [results] : results) as Rows[];
}
