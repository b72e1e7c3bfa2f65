import mysql, { type Connection, type RowDataPacket } from "mysql2/promise";
import { createDatabaseSql } from "../compile/ddl.js";
import { quoteId } from "../compile/sql.js";
import { exactStatementBytes, type Statement, statementBytes, valueBytes } from "../compile/statements.js";
import type { RowRequest } from "../run/decide.js";
import { keyString, RowState, tombstoneHash } from "../run/row-state.js";
import { DEAD_LETTERS, OFFSETS, TOMBSTONES } from "./engine-tables.js";
import { isTransient } from "./mysql-errors.js";
import { type MysqlTarget, parseMysqlUrl, scrub } from "./mysql-url.js";

/** A driver error with secrets removed from its message; keeps errno/code for retry decisions. */
export class SinkError extends Error {
  constructor(
    message: string,
    readonly errno: number | undefined,
    readonly code: string | undefined,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = "SinkError";
  }
}

export interface DeadLetter {
  readonly source: string;
  readonly position: string;
  readonly eventId: string | undefined;
  readonly eventType: string | undefined;
  readonly reason: string;
  readonly payload: Buffer | string;
}

export interface OffsetRow {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume. */
  readonly next: string;
}

/** What a batch can do inside its transaction. */
export interface SinkTx {
  loadRows(requests: readonly RowRequest[], uniques: ReadonlySet<string>): Promise<RowState>;
  /**
   * Runs the statements, several per round trip. `whileWaiting` runs once, right after the first
   * round trip is sent: CPU work for the next batch then overlaps with MySQL's work on this one.
   */
  execute(statements: readonly Statement[], whileWaiting?: () => void): Promise<void>;
  deadLetters(rows: readonly DeadLetter[]): Promise<void>;
  /** Raises the partitions' next offsets (never lowers one: a batch may hold records applied before). */
  saveOffsets(rows: readonly OffsetRow[]): Promise<void>;
  /** Locks the offset rows of these partitions for the transaction and returns the stored next offsets. */
  lockOffsets(
    group: string,
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<Map<string, bigint>>;
}

/** Key of a topic-partition in offset maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Statements are sent several per round trip (multi-statement queries) up to about this much SQL. */
const CHUNK_CHARS = 256 << 10;

/** ER_BAD_DB_ERROR: the URL's database does not exist (a driver error or our SinkError). */
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

  /** The most bytes one statement (or one round trip of several) may take: under max_allowed_packet. */
  get statementBytes(): number {
    const p = this.maxPacket;
    return p > 64 << 10 ? Math.floor(p * 0.9) - (16 << 10) : Math.floor(p / 2);
  }

  /** Wraps a driver error: message without secrets, transient flag for the retry layer. */
  wrap(e: unknown): SinkError {
    if (e instanceof SinkError) return e;
    const err = e as { message?: string; errno?: number; code?: string };
    const msg = scrub(String(err?.message ?? e), this.target.secrets);
    return new SinkError(`MySQL ${this.target.display}: ${msg}`, err?.errno, err?.code, isTransient(e));
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
    await conn.query(
      `SET autocommit = ${autocommit ? 1 : 0}, time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'`,
    );
    return conn;
  }

  /** The writer session (connects on first use). */
  async connection(): Promise<Connection> {
    if (this.writer) return this.writer;
    this.throwIfClosed();
    try {
      const writer = await this.open(false);
      const [rows] = await writer.query("SELECT @@max_allowed_packet AS p");
      const p = Number((rows as RowDataPacket[])[0]?.p);
      if (Number.isFinite(p) && p > 0) this.maxPacket = p;
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
      throw new SinkError(`MySQL ${this.target.display}: closed`, undefined, "SINK_CLOSED", true);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of [this.writer, this.reader]) await c?.end().catch(() => c.destroy());
    this.writer = undefined;
    this.reader = undefined;
  }

  /**
   * Loads rows as committed, outside the batch transaction (on the reader session), into `into`;
   * rows `known` already knows are left out. Used to plan the next batch while this one is written.
   */
  async loadCommittedRows(
    requests: readonly RowRequest[],
    uniques: ReadonlySet<string>,
    into: RowState,
    known: RowState,
  ): Promise<void> {
    await this.onReader((conn) => loadRows(conn, requests, uniques, into, known));
  }

  /** A query outside the batches' transactions (autocommit). */
  async query<T = RowDataPacket[]>(sql: string, params: unknown[] = []): Promise<T> {
    return this.onReader(async (conn) => (await conn.query(sql, params))[0] as T);
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

  /** Runs `fn` in one transaction: all of it is committed, or none of it. */
  async transaction<T>(fn: (tx: SinkTx) => Promise<T>): Promise<T> {
    const conn = await this.connection();
    try {
      await conn.query("START TRANSACTION");
      const result = await fn(this.tx(conn));
      await conn.query("COMMIT");
      return result;
    } catch (e) {
      const fromDriver =
        e instanceof SinkError || (typeof e === "object" && e !== null && ("errno" in e || "code" in e));
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

  private tx(conn: Connection): SinkTx {
    return {
      loadRows: (requests, uniques) => loadRows(conn, requests, uniques),
      execute: async (statements, whileWaiting) => {
        // Chunks are pipelined: mysql2 formats a query when it is called, so formatting chunk k+1
        // overlaps with MySQL executing chunk k. COMMIT is only sent once every chunk succeeded.
        const sent: Promise<unknown>[] = [];
        let sql = "";
        let params: unknown[] = [];
        let size = 0;
        /** Upper bound of the chunk's bytes on the wire (max_allowed_packet). */
        let wire = 0;
        let pending = whileWaiting;
        const send = () => {
          const p = conn.query(sql, params);
          p.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
          sent.push(p);
          sql = "";
          params = [];
          size = 0;
          wire = 0;
          if (pending) {
            const run = pending;
            pending = undefined;
            run();
          }
        };
        const limit = this.statementBytes;
        const sizes = statements.map((s) => {
          const n = statementBytes(s);
          return n <= limit ? n : exactStatementBytes(s);
        });
        // A statement the server would refuse (it drops the connection): refused here, as bad data
        // of its event, before anything of the batch is sent.
        const huge = sizes.findIndex((n) => n > limit);
        if (huge >= 0) {
          throw new SinkError(
            `a statement of up to ${sizes[huge]} bytes is more than the server takes (max_allowed_packet = ${this.maxPacket}): ${statements[huge]!.sql.slice(0, 60)}…`,
            1153,
            "ER_NET_PACKET_TOO_LARGE",
            false,
          );
        }
        statements.forEach((s, i) => {
          const bytes = sizes[i]!;
          if (wire > 0 && wire + bytes > limit) send();
          sql += sql ? `;\n${s.sql}` : s.sql;
          for (const p of s.params) params.push(p);
          // The chunk's length as it was tuned (bench/PROFILE.md); the upper bound is for the packet only.
          size += s.sql.length + s.params.length * 16;
          wire += bytes;
          if (size >= CHUNK_CHARS) send();
        });
        if (sql) send();
        pending?.();
        await Promise.all(sent);
      },
      deadLetters: async (all) => {
        // In statements under the packet limit; a payload too big for any is kept truncated.
        const limit = this.statementBytes;
        const most = Math.max(2048, Math.floor(limit / 2) - Math.min(64 << 10, Math.floor(limit / 8)));
        let rows: DeadLetter[] = [];
        let size = 0;
        const flush = async () => {
          if (rows.length > 0) await insertDeadLetters(conn, rows);
          rows = [];
          size = 0;
        };
        for (let r of all) {
          const bytes = valueBytes(r.payload);
          if (bytes > most) {
            const raw = Buffer.isBuffer(r.payload) ? r.payload : Buffer.from(r.payload);
            const keep = Math.max(1024, Math.floor(most / 2) - 16);
            r = {
              ...r,
              payload: raw.subarray(0, keep),
              reason: `${r.reason} (payload of ${raw.length} bytes kept truncated to its first ${keep}: more than max_allowed_packet allows)`,
            };
          }
          const n = valueBytes(r.payload) + valueBytes(r.reason) + 512;
          if (size > 0 && size + n > limit) await flush();
          rows.push(r);
          size += n;
        }
        await flush();
      },
      lockOffsets: async (group, partitions) => {
        const out = new Map<string, bigint>();
        if (partitions.length === 0) return out;
        const [rows] = await conn.query(
          `SELECT topic, partition_id, next_offset FROM ${quoteId(OFFSETS)} WHERE consumer_group = ? AND (topic, partition_id) IN (${partitions
            .map(() => "(?,?)")
            .join(",")}) FOR UPDATE`,
          [group, ...partitions.flatMap((p) => [p.topic, p.partition])],
        );
        for (const r of rows as RowDataPacket[])
          out.set(partitionKey(r.topic, Number(r.partition_id)), BigInt(r.next_offset));
        return out;
      },
      saveOffsets: async (rows) => {
        if (rows.length === 0) return;
        const params: unknown[] = [];
        for (const r of rows) params.push(r.group, r.topic, r.partition, r.next);
        await conn.query(
          `INSERT INTO ${quoteId(OFFSETS)} (consumer_group, topic, partition_id, next_offset, updated_at) VALUES ${rows
            .map(() => "(?,?,?,?,UTC_TIMESTAMP(6))")
            .join(
              ",",
            )} ON DUPLICATE KEY UPDATE updated_at = IF(VALUES(next_offset) > next_offset, VALUES(updated_at), updated_at), next_offset = GREATEST(next_offset, VALUES(next_offset))`,
          params,
        );
      },
    };
  }
}

/**
 * Loads guard values and unique keys of the requested rows, one SELECT per table in one round trip,
 * into `state`; rows that `known` knows (present or deleted) are left out.
 */
async function loadRows(
  conn: Connection,
  requests: readonly RowRequest[],
  wanted: ReadonlySet<string>,
  state: RowState = new RowState(),
  known?: RowState,
): Promise<RowState> {
  const queries: {
    sql: string;
    params: unknown[];
    req: RowRequest;
    uniqueCols: { name: string; columns: readonly string[] }[];
  }[] = [];
  for (const req of requests) {
    const t = req.table;
    const uniqueCols = t.spec.uniques.filter((u) => wanted.has(`${t.name}.${u.name}`));
    const cols = new Set<string>([
      ...t.primaryKey,
      ...(t.guard ? [t.guard] : []),
      ...uniqueCols.flatMap((u) => u.columns),
    ]);
    const conds: string[] = [];
    const params: unknown[] = [];
    const inList = (columns: readonly string[], tuples: Iterable<readonly unknown[]>) => {
      const list = [...tuples];
      if (list.length === 0) return;
      const lhs = columns.length === 1 ? quoteId(columns[0]!) : `(${columns.map(quoteId).join(",")})`;
      const one = columns.length === 1 ? "?" : `(${columns.map(() => "?").join(",")})`;
      conds.push(`${lhs} IN (${list.map(() => one).join(",")})`);
      for (const tuple of list) params.push(...tuple);
    };
    inList(t.primaryKey, req.keys.values());
    for (const u of req.uniques.values()) inList(u.key.columns, u.values.values());
    if (conds.length === 0) continue;
    queries.push({
      sql: `SELECT ${[...cols].map(quoteId).join(", ")} FROM ${t.quoted} WHERE ${conds.join(" OR ")}`,
      params,
      req,
      uniqueCols,
    });
  }
  if (queries.length === 0) return state;
  const [results] = await conn.query(
    queries.map((q) => q.sql).join(";\n"),
    queries.flatMap((q) => q.params),
  );
  const sets = (queries.length === 1 ? [results] : results) as RowDataPacket[][];
  queries.forEach((q, i) => {
    const t = q.req.table;
    for (const row of sets[i] ?? []) {
      const key = keyString(t.primaryKey.map((c) => row[c]));
      if (known?.knows(t.name, key)) continue;
      const uniques = new Map<string, string>();
      for (const u of q.uniqueCols) uniques.set(u.name, keyString(u.columns.map((c) => row[c])));
      state.set(t.name, key, t.guard ? row[t.guard] : null, uniques);
    }
  });
  await loadTombstones(conn, requests, state, known);
  return state;
}

/** The tombstones of requested rows of guarded tables that do not exist (hard-deleted, maybe). */
async function loadTombstones(
  conn: Connection,
  requests: readonly RowRequest[],
  state: RowState,
  known: RowState | undefined,
): Promise<void> {
  /** hex of the hash → the row it stands for, and the hash to bind. */
  const wanted = new Map<string, { table: string; key: string; hash: Buffer }>();
  for (const req of requests) {
    const t = req.table;
    if (!t.guard) continue;
    for (const key of req.keys.keys()) {
      if (state.get(t.name, key) || known?.knows(t.name, key)) continue;
      const hash = tombstoneHash(t.name, key);
      wanted.set(hash.toString("hex"), { table: t.name, key, hash });
    }
  }
  if (wanted.size === 0) return;
  const [rows] = await conn.query(
    `SELECT key_hash, guard FROM ${quoteId(TOMBSTONES)} WHERE key_hash IN (${"?,".repeat(wanted.size - 1)}?)`,
    [...wanted.values()].map((w) => w.hash),
  );
  for (const r of rows as RowDataPacket[]) {
    const w = wanted.get(Buffer.from(r.key_hash).toString("hex"));
    if (w) state.setTomb(w.table, w.key, r.guard);
  }
}

/** One multi-row insert of dead letters; a redelivered record's letter replaces the earlier one. */
async function insertDeadLetters(conn: Connection, rows: readonly DeadLetter[]): Promise<void> {
  const params: unknown[] = [];
  for (const r of rows)
    params.push(r.source, r.position, r.eventId ?? null, r.eventType ?? null, r.reason, r.payload);
  await conn.query(
    `INSERT INTO ${quoteId(DEAD_LETTERS)} (source, position, event_id, event_type, reason, payload, failed_at) VALUES ${rows
      .map(() => "(?,?,?,?,?,?,UTC_TIMESTAMP(6))")
      .join(
        ",",
      )} ON DUPLICATE KEY UPDATE event_id = VALUES(event_id), event_type = VALUES(event_type), reason = VALUES(reason), payload = VALUES(payload), failed_at = VALUES(failed_at)`,
    params,
  );
}
