import { CoerceFailure, parseIsoDatetime } from "../values/coerce.js";

/** The platform's event envelope. */
export interface Envelope {
  readonly event_type: string;
  readonly event_id: string;
  readonly timestamp: string;
  readonly entity_id: string;
  readonly data: Record<string, unknown>;
}

/** Why a message is not a usable envelope (it goes to the dead letters). */
export class EnvelopeError {
  constructor(
    readonly reason: string,
    /** Whatever could be read of the event, for the dead-letter row. */
    readonly eventId?: string,
    readonly eventType?: string,
  ) {}
}

const MAX_ID = 255;

/** Checks the envelope fields; the payload itself is checked by the mapping of its event type. */
export function checkEnvelope(value: unknown): Envelope | EnvelopeError {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return new EnvelopeError(
      `envelope must be a JSON object, got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`,
    );
  }
  const v = value as Record<string, unknown>;
  const eventId = typeof v.event_id === "string" ? v.event_id : undefined;
  const eventType = typeof v.event_type === "string" ? v.event_type : undefined;
  const err = (reason: string) => new EnvelopeError(reason, eventId?.slice(0, 64), eventType?.slice(0, 128));
  for (const field of ["event_type", "event_id", "timestamp", "entity_id"] as const) {
    const f = v[field];
    if (f === undefined) return err(`envelope field ${field} is missing`);
    if (typeof f !== "string" || f.length === 0)
      return err(`envelope field ${field} must be a non-empty string`);
    if (f.length > MAX_ID) return err(`envelope field ${field} is longer than ${MAX_ID} characters`);
  }
  if (v.data === undefined) return err("envelope field data is missing");
  if (v.data === null || typeof v.data !== "object" || Array.isArray(v.data))
    return err("envelope field data must be a JSON object");
  const ts = parseIsoDatetime(v.timestamp as string);
  if (ts instanceof CoerceFailure) return err(`envelope field timestamp: ${ts.message}`);
  return value as Envelope;
}

/** Parses one JSON text into an envelope. */
export function decodeEnvelope(text: string): Envelope | EnvelopeError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return new EnvelopeError(`undecodable JSON: ${(e as Error).message}`);
  }
  return checkEnvelope(value);
}
