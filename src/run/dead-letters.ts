import { createHash } from "node:crypto";
import {
  DEAD_LETTER_ROW_OVERHEAD,
  type DeadLetter,
  insertDeadLettersStatement,
} from "../compile/engine-statements.js";
import { type Statement, valueBytes } from "../compile/statements.js";
import type { SourceRecord } from "../core/source-record.js";

/** The dead letter of a record: where it came from, what could be read of it, and why. */
export function letterFor(
  record: SourceRecord,
  reason: string,
  eventId?: string,
  eventType?: string,
): DeadLetter {
  return {
    source: record.source,
    // A Kafka position names one record for good (a redelivery replaces its letter). A file's line
    // number does not: another file of the same name, or stdin, has other lines there. The line's
    // digest tells them apart, and the same file replayed again still finds its own letters.
    position: record.kafka
      ? record.position
      : `${record.position} #${createHash("sha256").update(record.value).digest("hex").slice(0, 16)}`,
    eventId,
    eventType,
    reason,
    payload: record.value,
  };
}

/**
 * The inserts of a batch's dead letters, each statement under `limit` bytes (max_allowed_packet); a
 * payload too big for any is kept truncated, and its reason says so.
 */
export function deadLetterStatements(letters: readonly DeadLetter[], limit: number): Statement[] {
  const out: Statement[] = [];
  const most = Math.max(2048, Math.floor(limit / 2) - Math.min(64 << 10, Math.floor(limit / 8)));
  let rows: DeadLetter[] = [];
  let size = 0;
  const flush = () => {
    if (rows.length > 0) out.push(insertDeadLettersStatement(rows));
    rows = [];
    size = 0;
  };
  for (let r of letters) {
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
    const n = valueBytes(r.payload) + valueBytes(r.reason) + DEAD_LETTER_ROW_OVERHEAD;
    if (size > 0 && size + n > limit) flush();
    rows.push(r);
    size += n;
  }
  flush();
  return out;
}
