import type { Connection } from "mysql2/promise";
import { exactStatementBytes, type Statement, statementBytes } from "../compile/statements.js";
import { DatabaseError } from "../core/database-error.js";

/** Statements are sent several per round trip (multi-statement queries) up to about this much SQL. */
const CHUNK_CHARS = 256 << 10;

/**
 * Runs statements on a connection inside its transaction, several per round trip, every round trip
 * under `limit` bytes (max_allowed_packet). Chunks are pipelined: mysql2 formats a query when it is
 * called, so formatting chunk k+1 overlaps with MySQL executing chunk k; the caller commits only once
 * every chunk succeeded. `whileWaiting` runs once, right after the first round trip is sent. The
 * first `lead` statements (SELECTs) are answered with their rows (`leading`), not warnings.
 */
export async function executeChunked(
  conn: Connection,
  statements: readonly Statement[],
  limit: number,
  maxPacket: number,
  whileWaiting?: () => void,
  lead = 0,
): Promise<Warnings & { leading: unknown[] }> {
  const sent: Promise<unknown>[] = [];
  const chunks: (readonly Statement[])[] = [];
  /** The chunk's statements: joined when it is sent (one alone is sent as it is, params not copied). */
  let chunk: Statement[] = [];
  let size = 0;
  /** Upper bound of the chunk's bytes on the wire (max_allowed_packet). */
  let wire = 0;
  let pending = whileWaiting;
  const send = () => {
    const p =
      chunk.length === 1 ? conn.query(chunk[0]!.sql, chunk[0]!.params as unknown[]) : sendJoined(conn, chunk);
    p.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
    sent.push(p);
    chunks.push(chunk);
    chunk = [];
    size = 0;
    wire = 0;
    if (pending) {
      const run = pending;
      pending = undefined;
      run();
    }
  };
  const sizes = statements.map((s) => {
    const n = statementBytes(s);
    return n <= limit ? n : exactStatementBytes(s);
  });
  // A statement the server would refuse (it drops the connection): refused here, as bad data of its
  // event, before anything of the batch is sent.
  const huge = sizes.findIndex((n) => n > limit);
  if (huge >= 0) {
    throw new DatabaseError(
      `a statement of up to ${sizes[huge]} bytes is more than the server takes (max_allowed_packet = ${maxPacket}): ${statements[huge]!.sql.slice(0, 60)}…`,
      1153,
      "ER_NET_PACKET_TOO_LARGE",
      false,
    );
  }
  statements.forEach((s, i) => {
    const bytes = sizes[i]!;
    if (wire > 0 && wire + bytes > limit) send();
    chunk.push(s);
    // The chunk's length as it was tuned (bench/PROFILE.md); the upper bound is for the packet only.
    size += s.sql.length + s.params.length * 16;
    wire += bytes;
    if (size >= CHUNK_CHARS) send();
  });
  if (chunk.length > 0) send();
  pending?.();
  const results = await Promise.all(sent);
  const out: Warnings & { leading: unknown[] } = { count: 0, sql: undefined, leading: [] };
  results.forEach((r, i) => {
    const chunk = chunks[i]!;
    // mysql2 answers [result, fields]; a multi-statement query's result has one entry per statement.
    const result = (r as unknown[])[0];
    const each = chunk.length === 1 ? [result] : (result as unknown[]);
    each.forEach((one, j) => {
      if (out.leading.length < lead) {
        out.leading.push(one);
        return;
      }
      const n = warningsOf(one);
      out.count += n;
      if (n > 0 && out.sql === undefined) out.sql = chunk[j]?.sql;
    });
  });
  return out;
}

/** The warnings the server raised for a round trip's statements, and the first statement that raised some. */
export interface Warnings {
  count: number;
  sql: string | undefined;
}

/** The warnings of one statement's result (`warningStatus` of its OK packet; rows have none). */
export function warningsOf(result: unknown): number {
  return result && typeof result === "object" && !Array.isArray(result) && "warningStatus" in result
    ? Number(result.warningStatus) || 0
    : 0;
}

/** Several statements as one multi-statement query, their params in one array sized once. */
function sendJoined(conn: Connection, chunk: readonly Statement[]): Promise<unknown> {
  let n = 0;
  for (const s of chunk) n += s.params.length;
  const params: unknown[] = new Array(n);
  let i = 0;
  for (const s of chunk) for (const v of s.params) params[i++] = v;
  return conn.query(chunk.map((s) => s.sql).join(";\n"), params);
}
