import { createHash } from "node:crypto";
import type { Connection } from "mysql2/promise";
import type { CompiledSpec } from "../../../src/compile/compile.js";
import type { ColumnSpec } from "../../../src/specs/types.js";
import { ABSENT } from "../../../src/values/json-path.js";
import { mapLine } from "./map-line.js";
import { select } from "./mysql.js";
import { readLines } from "./stream.js";

/** The event types of the shape both projector and the peer can write: users, upserted by user_id. */
export const FLAT_TYPES = new Set(["user.created", "user.updated"]);
export const FLAT_TABLE = "users";

/** One Kafka record: key and value as text. */
export interface FlatRecord {
  readonly key: string;
  readonly value: string;
}

/**
 * The flat workload: the stream's user.created / user.updated events, repeated with other user and
 * event ids until there are `target` of them (copy k rewrites the ids' first 4 hex digits, so every
 * copy is a new set of users with the same history). projector reads them as envelopes; the peer
 * reads the same rows already flattened by projector's own mapping, as Connect JSON with schemas.
 */
export interface FlatWorkload {
  readonly events: number;
  readonly users: number;
  readonly envelopes: readonly FlatRecord[];
  readonly flat: readonly FlatRecord[];
  /** What `done()` waits for: per side, the rows and the digest of their (user_id, event_id). */
  readonly expected: { readonly guarded: Expected; readonly lastWins: Expected };
}

export interface Expected {
  readonly rows: number;
  readonly digest: string;
}

const digestSql = (table: string) =>
  `SELECT COUNT(*) AS n, COALESCE(SUM(CONV(LEFT(MD5(CONCAT(user_id, '|', event_id)), 8), 16, 10)), 0) AS d FROM \`${table}\``;

function part(userId: string, eventId: string): bigint {
  return BigInt(`0x${createHash("md5").update(`${userId}|${eventId}`).digest("hex").slice(0, 8)}`);
}

/** Copy k of an id: its first 4 hex digits replaced by k's. */
function copyId(id: string, k: number): string {
  return k === 0 ? id : k.toString(16).padStart(4, "0") + id.slice(4);
}

/** A Connect schema field for a column. */
function field(c: ColumnSpec): object {
  const optional = c.nullable;
  switch (c.type.name) {
    case "int":
    case "smallint":
    case "tinyint":
      return { field: c.name, type: "int32", optional };
    case "bigint":
      return { field: c.name, type: "int64", optional };
    case "boolean":
      return { field: c.name, type: "boolean", optional };
    case "double":
      return { field: c.name, type: "double", optional };
    case "datetime":
      // Debezium's own semantic type for a DATETIME(6): microseconds since the epoch.
      return { field: c.name, type: "int64", optional, name: "io.debezium.time.MicroTimestamp" };
    case "json":
      return { field: c.name, type: "string", optional, name: "io.debezium.data.Json" };
    default:
      return { field: c.name, type: "string", optional };
  }
}

/** "2025-01-01 12:00:00.123456" (UTC, as projector binds it) → microseconds since the epoch. */
function micros(v: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(v);
  if (!m) throw new Error(`not a datetime: ${v}`);
  const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return ms * 1000 + Number((m[7] ?? "").padEnd(6, "0"));
}

function connectValue(c: ColumnSpec, v: unknown): unknown {
  if (v === ABSENT) v = c.default ?? null; // what an insert leaves the column at
  if (v === null || v === undefined) return null;
  switch (c.type.name) {
    case "boolean":
      return v === true || v === 1 || v === "1";
    case "int":
    case "smallint":
    case "tinyint":
    case "bigint":
    case "double":
      return Number(v);
    case "datetime":
      return micros(String(v));
    default:
      return typeof v === "string" ? v : JSON.stringify(v);
  }
}

export function flatWorkload(plan: CompiledSpec, stream: string, target: number): FlatWorkload {
  const base = readLines(stream).filter((l) => {
    const m = /"event_type"\s*:\s*"([^"]+)"/.exec(l);
    return m !== null && FLAT_TYPES.has(m[1]!);
  });
  if (base.length === 0) throw new Error("the stream has no user.created / user.updated events");
  const table = plan.tableByName.get(FLAT_TABLE)!;
  const columns = [...table.spec.columns.values()];
  const keySchema = {
    type: "struct",
    name: "users.Key",
    optional: false,
    fields: [{ field: "user_id", type: "string", optional: false }],
  };
  const valueSchema = { type: "struct", name: "users.Value", optional: false, fields: columns.map(field) };
  const envelopes: FlatRecord[] = [];
  const flat: FlatRecord[] = [];
  const guarded = new Map<string, { ts: string; eventId: string }>();
  const lastWins = new Map<string, string>();
  for (let k = 0; envelopes.length < target; k++) {
    for (const line of base) {
      if (envelopes.length >= target) break;
      const e = JSON.parse(line) as { entity_id: string; event_id: string; timestamp: string };
      const env = { ...e, entity_id: copyId(e.entity_id, k), event_id: copyId(e.event_id, k) };
      const text = JSON.stringify(env);
      const mapped = mapLine(plan, text);
      if (mapped.kind !== "event")
        throw new Error(`a ${FLAT_TYPES} event did not map: ${text.slice(0, 200)}`);
      const op = mapped.ops.find((o) => o.action.table.name === FLAT_TABLE)!;
      const byName = new Map(op.action.columns.map((c, i) => [c.name, op.values[i]]));
      const payload: Record<string, unknown> = {};
      for (const c of columns)
        payload[c.name] = connectValue(c, byName.has(c.name) ? byName.get(c.name) : ABSENT);
      const userId = String(payload.user_id);
      const eventId = String(payload.event_id);
      envelopes.push({ key: env.entity_id, value: text });
      flat.push({
        key: JSON.stringify({ schema: keySchema, payload: { user_id: userId } }),
        value: JSON.stringify({ schema: valueSchema, payload }),
      });
      const ts = String(byName.get("event_timestamp"));
      const g = guarded.get(userId);
      if (!g || ts >= g.ts) guarded.set(userId, { ts, eventId });
      lastWins.set(userId, eventId);
    }
  }
  const sum = (pairs: Iterable<[string, string]>) => {
    let d = 0n;
    let n = 0;
    for (const [u, e] of pairs) {
      d += part(u, e);
      n++;
    }
    return { rows: n, digest: d.toString() };
  };
  return {
    events: envelopes.length,
    users: lastWins.size,
    envelopes,
    flat,
    expected: {
      guarded: sum([...guarded].map(([u, g]) => [u, g.eventId])),
      lastWins: sum(lastWins),
    },
  };
}

/** The table's rows and digest now. */
export async function tableDigest(conn: Connection, db: string, rowsWanted?: number): Promise<Expected> {
  await conn.query(`USE \`${db}\``);
  // COUNT(*) first: the digest reads every row, so it is computed only once the count is there.
  if (rowsWanted !== undefined) {
    const [c] = await select<{ n: number | string }>(conn, `SELECT COUNT(*) AS n FROM \`${FLAT_TABLE}\``);
    if (Number(c?.n ?? 0) !== rowsWanted) return { rows: Number(c?.n ?? 0), digest: "" };
  }
  const [r] = await select<{ n: number | string; d: number | string }>(conn, digestSql(FLAT_TABLE));
  return { rows: Number(r?.n ?? 0), digest: String(r?.d ?? "0") };
}

/** CHECKSUM TABLE users of a database. */
export async function checksum(conn: Connection, db: string): Promise<string> {
  const [r] = await select<{ Checksum: number | string | null }>(
    conn,
    `CHECKSUM TABLE \`${db}\`.\`${FLAT_TABLE}\``,
  );
  return String(r?.Checksum);
}

/**
 * Polls the table until it holds `expected` (rows and digest): the time its first row was seen and
 * the time it was complete (performance.now() ms), `timeoutMs` after which it gives up, `alive`
 * whether the writer still runs.
 */
export async function watchUntil(
  conn: Connection,
  db: string,
  expected: Expected,
  {
    timeoutMs,
    alive,
    onFirstRow,
    onPoll,
  }: { timeoutMs: number; alive: () => boolean; onFirstRow?: () => void; onPoll?: () => void },
): Promise<{ firstRowAt: number; doneAt: number }> {
  const deadline = performance.now() + timeoutMs;
  let firstRowAt: number | undefined;
  for (;;) {
    onPoll?.();
    const now = await tableDigest(conn, db, expected.rows);
    const t = performance.now();
    if (firstRowAt === undefined && now.rows > 0) {
      firstRowAt = t;
      onFirstRow?.();
    }
    if (now.rows === expected.rows && now.digest === expected.digest)
      return { firstRowAt: firstRowAt ?? t, doneAt: t };
    if (t > deadline)
      throw new Error(
        `${db}.${FLAT_TABLE} did not converge in ${timeoutMs / 1000} s: ${now.rows} of ${expected.rows} rows`,
      );
    if (!alive()) {
      const last = await tableDigest(conn, db);
      if (last.rows === expected.rows && last.digest === expected.digest)
        return { firstRowAt: firstRowAt ?? t, doneAt: performance.now() };
      throw new Error(`the writer of ${db}.${FLAT_TABLE} exited with ${last.rows} of ${expected.rows} rows`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
