import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import type { Dialect } from "../compile/sql.js";
import { exactValueBytes, type Statement } from "../compile/statements.js";
import type { SourceRecord } from "../core/source-record.js";
import { cut } from "../core/text.js";
import {
  DEAD_LETTER_ROW_OVERHEAD,
  type DeadLetter,
  insertDeadLettersStatement,
  type LetterKind,
} from "../store/dead-letters.js";

/**
 * The longest reason a letter keeps, in characters (at most 8 KB in utf8mb4, well within the
 * reason's TEXT column): a longer one is cut in the middle with a marker saying how long it was. A
 * reason quoting a 70,000-digit number once failed the letter's insert and stalled every partition.
 */
export const MAX_REASON_CHARS = 2000;
/** event_id and event_type are VARCHAR(255). */
const MAX_ID_CHARS = 255;

/** The dead letter of a record: where it came from, what could be read of it, and why. */
export function letterFor(
  record: SourceRecord,
  reason: string,
  eventId?: string,
  eventType?: string,
  kind: LetterKind = "failed",
): DeadLetter {
  const k = record.kafka;
  const again = record.letter;
  return {
    source: record.source,
    // A Kafka position names one record for good (a redelivery replaces its letter). A file's line
    // number does not: another file of the same name, or stdin, has other lines there. The line's
    // digest tells them apart, and the same file replayed again still finds its own letters. A
    // retried record keeps its letter's position: failing again updates that letter.
    position:
      again?.position ??
      (k
        ? record.position
        : `${record.position} #${createHash("sha256").update(record.value).digest("hex").slice(0, 16)}`),
    eventId: eventId === undefined ? undefined : cut(eventId, MAX_ID_CHARS),
    eventType: eventType === undefined ? undefined : cut(eventType, MAX_ID_CHARS),
    reason: cut(reason, MAX_REASON_CHARS),
    payload: record.value,
    recordKey: again ? again.recordKey : (k?.key ?? null),
    kind,
    // The head of an oversize record, or a tombstone's empty value, is not an event to retry.
    retriable: record.oversize === undefined && k?.tombstone !== true,
    partition: again?.partition ?? k?.partition ?? -1,
    seq: again?.seq ?? k?.offset ?? record.line ?? -1,
  };
}

/**
 * The payload as it goes on the wire: text when it is valid UTF-8 (sent as an escaped string, about
 * its own size; stored as the same bytes), else the bytes (sent as hex, twice their size).
 */
function wirePayload(payload: Buffer | string): Buffer | string {
  return typeof payload === "string" || !isUtf8(payload) ? payload : payload.toString("utf8");
}

/** The bytes one letter takes in an insert: its values as the driver escapes them, and its share of the SQL. */
function letterBytes(r: DeadLetter): number {
  let n = DEAD_LETTER_ROW_OVERHEAD;
  for (const v of [r.source, r.position, r.eventId, r.eventType, r.reason, r.payload, r.recordKey])
    n += v === undefined || v === null ? 4 : exactValueBytes(v);
  return n;
}

/**
 * The inserts of a batch's dead letters, each statement under `limit` bytes (what the server takes
 * of max_allowed_packet, `maxPacket`). A payload is cut only when its letter alone would not fit,
 * and its reason then says so and names the limit.
 */
export function deadLetterStatements(
  letters: readonly DeadLetter[],
  limit: number,
  maxPacket: number,
  dialect: Dialect,
): Statement[] {
  const out: Statement[] = [];
  // The INSERT's own text, and room for MySQL's framing.
  const room = limit - insertDeadLettersStatement([], dialect).sql.length - 1024;
  let rows: DeadLetter[] = [];
  let size = 0;
  const flush = () => {
    if (rows.length > 0) out.push(insertDeadLettersStatement(rows, dialect));
    rows = [];
    size = 0;
  };
  for (const letter of letters) {
    let r: DeadLetter = { ...letter, payload: wirePayload(letter.payload) };
    let n = letterBytes(r);
    if (n > room) {
      // Kept as bytes (hex: 2 a byte) up to what the packet has room for beside the rest of the letter.
      const raw = Buffer.isBuffer(letter.payload) ? letter.payload : Buffer.from(letter.payload);
      const keep = Math.max(0, Math.floor((room - (n - exactValueBytes(r.payload)) - 512) / 2));
      r = {
        ...r,
        payload: raw.subarray(0, keep),
        retriable: false,
        reason: `${r.reason} (payload of ${raw.length} bytes kept truncated to its first ${keep}: a dead letter must fit the server's max_allowed_packet of ${maxPacket} bytes)`,
      };
      n = letterBytes(r);
    }
    if (size > 0 && size + n > room) flush();
    rows.push(r);
    size += n;
  }
  flush();
  return out;
}

/** The reason of an event kept for its unmatched updates. */
export function unmatchedReason(keep: readonly string[]): string {
  return `unmatched: ${keep.join("; ")} (kept: applied when the row arrives; projector dead-letters retry applies it too)`;
}
