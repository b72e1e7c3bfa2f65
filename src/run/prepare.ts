import { isUtf8 } from "node:buffer";
import type { CompiledSpec } from "../compile/compile.js";
import {
  filteredOut,
  MAX_EVENT_VALUES,
  MapError,
  type MappedOp,
  mapEvent,
  rowValues,
} from "../compile/map-event.js";
import { log } from "../core/log.js";
import type { SourceRecord } from "../core/source-record.js";
import type { DeadLetter } from "../store/dead-letters.js";
import { letterFor } from "./dead-letters.js";
import type { MappedEvent } from "./decide.js";
import { decodeEnvelope, EnvelopeError } from "./decode.js";

/** A record decoded and mapped, ready for the transaction (or already known to be a dead letter). */
export type Prepared =
  | {
      kind: "event";
      record: SourceRecord;
      eventType: string;
      eventId: string;
      ops: MappedOp[];
      /** Its actions whose `when` it did not meet. */
      filteredActions: number;
      /** The values its replace rows hold (rows × columns): what it weighs in a batch. */
      values: number;
    }
  | { kind: "skip"; record: SourceRecord; eventType: string }
  /** Its event type's `when` did not match: nothing is written, it is counted. */
  | { kind: "filtered"; record: SourceRecord; eventType: string }
  | { kind: "dead"; record: SourceRecord; letter: DeadLetter; eventType: string | undefined };

/**
 * The first stage of a batch, pure CPU work done before (or overlapped with) the transaction: a
 * record's bytes checked as UTF-8, decoded as an envelope, routed by its event type and mapped to
 * row operations; or the reason it cannot be (a dead letter), or an unknown type to skip.
 */
export function prepareRecord(
  compiled: CompiledSpec,
  record: SourceRecord,
  deadLetterUnknown: boolean,
): Prepared {
  const dead = (reason: string, eventId?: string, eventType?: string): Prepared => ({
    kind: "dead",
    record,
    eventType,
    letter: letterFor(record, reason, eventId, eventType),
  });
  if (record.kafka?.tombstone)
    return dead(
      "Kafka tombstone: the record's value is null, so it carries no event (a compacted topic's delete marker?)",
    );
  if (record.oversize)
    return dead(
      `record of ${record.oversize.bytes} bytes is larger than the maximum record size of ${record.oversize.limit} (--max-record-bytes, PROJECTOR_MAX_RECORD_BYTES); its first ${record.value.length} bytes are kept`,
    );
  try {
    return decodeAndMap(compiled, record, deadLetterUnknown, dead);
  } catch (e) {
    // Decoding and mapping are pure: an exception here is this event's, and the same event would
    // throw again after a restart. It is its letter, never a crash (which would loop on the record).
    const reason = `decoding or mapping the event threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    log.warn("an event's mapping threw; dead-lettered", {
      source: record.source,
      position: record.position,
      error: e instanceof Error ? (e.stack ?? e.message) : String(e),
    });
    return dead(reason, current.eventId, current.eventType);
  } finally {
    current.eventId = undefined;
    current.eventType = undefined;
  }
}

/** What decodeAndMap has read of the event it is on, for the letter should the mapping throw. */
const current: { eventId: string | undefined; eventType: string | undefined } = {
  eventId: undefined,
  eventType: undefined,
};

function decodeAndMap(
  compiled: CompiledSpec,
  record: SourceRecord,
  deadLetterUnknown: boolean,
  dead: (reason: string, eventId?: string, eventType?: string) => Prepared,
): Prepared {
  const raw = record.value;
  if (typeof raw !== "string" && !isUtf8(raw)) return dead("payload is not valid UTF-8");
  const text = typeof raw === "string" ? raw : raw.toString("utf8");
  // Parsing deep nesting costs memory in proportion (a 50 MB line of `[` took 2.7 GB): refused first.
  if (text.length > DEPTH_CHECK_CHARS && nestedDeeperThan(text, MAX_NESTING))
    return dead(`JSON nested deeper than ${MAX_NESTING} levels`);
  const envelope = decodeEnvelope(text);
  if (envelope instanceof EnvelopeError) return dead(envelope.reason, envelope.eventId, envelope.eventType);
  current.eventId = envelope.event_id;
  current.eventType = envelope.event_type;
  const actions = compiled.events.get(envelope.event_type);
  if (!actions) {
    if (!deadLetterUnknown) return { kind: "skip", record, eventType: envelope.event_type };
    const reason = `unknown event type ${envelope.event_type} (no projection declares it)`;
    return dead(reason, envelope.event_id, envelope.event_type);
  }
  if (filteredOut(actions, envelope)) return { kind: "filtered", record, eventType: envelope.event_type };
  const ops = mapEvent(actions, envelope);
  if (ops instanceof MapError) return dead(ops.reason, envelope.event_id, envelope.event_type);
  return {
    kind: "event",
    record,
    eventType: envelope.event_type,
    eventId: envelope.event_id,
    ops,
    filteredActions: ops.filtered ?? 0,
    values: rowValues(ops),
  };
}

/** Envelopes nest a few levels; a document deeper than this is refused before it is parsed. */
const MAX_NESTING = 64;
/** Shorter texts cannot cost much however deep they nest: only longer ones are scanned. */
const DEPTH_CHECK_CHARS = 64 << 10;

/** Whether the JSON text opens more than `max` arrays or objects at once (strings skipped). */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** The events of a batch that mapped cleanly, with their index in the batch. */
export function mappedEvents(live: readonly Prepared[]): MappedEvent[] {
  const events: MappedEvent[] = [];
  live.forEach((p, index) => {
    if (p.kind === "event") events.push({ index, eventType: p.eventType, ops: p.ops });
  });
  return events;
}

/**
 * The most values (rows × columns) the replace rows of one transaction's events hold: as many as one
 * event may map to, so an event at that limit is a transaction alone. Rows are held, decided and
 * sent per transaction, 150-200 bytes a value, and two transactions are in memory at once (one
 * written, the next planned): 16 events of 166,666 rows in one 5 MB batch took 1.5 GB.
 */
export const MAX_BATCH_VALUES = MAX_EVENT_VALUES;

/** What a prepared record weighs in a batch: the values of its replace rows. */
export function valuesOf(p: Prepared): number {
  return p.kind === "event" ? p.values || 0 : 0;
}

/**
 * Prepares `records` a piece at a time, in order: a piece ends once its events' replace rows hold
 * `budget` values (MAX_BATCH_VALUES), or before an event that would take it past them. The caller
 * applies a piece before it asks for the next (or while it is written), so a batch of many
 * row-heavy events is never in memory whole. A batch of light events is one piece.
 */
export class Pieces {
  private at = 0;
  /** An event prepared that did not fit the piece before: it starts the next. */
  private held: Prepared | undefined;

  constructor(
    private readonly prepare: (records: readonly SourceRecord[]) => Prepared[],
    private readonly records: readonly SourceRecord[],
    private readonly budget = MAX_BATCH_VALUES,
  ) {}

  /** Whether every record was handed out in a piece. */
  get done(): boolean {
    return this.held === undefined && this.at >= this.records.length;
  }

  /** The next piece (empty only for an empty list). */
  next(): Prepared[] {
    const piece: Prepared[] = [];
    let values = 0;
    if (this.held) {
      piece.push(this.held);
      values = valuesOf(this.held);
      this.held = undefined;
      if (values >= this.budget) return piece;
    }
    while (this.at < this.records.length) {
      const [p] = this.prepare([this.records[this.at++]!]);
      const v = valuesOf(p!);
      if (piece.length > 0 && values + v > this.budget) {
        this.held = p;
        return piece;
      }
      piece.push(p!);
      values += v;
      if (values >= this.budget) return piece;
    }
    return piece;
  }
}
