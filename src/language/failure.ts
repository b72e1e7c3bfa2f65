/**
 * A value that cannot be taken: one that does not fit its column, or that a transform cannot take.
 * An ordinary value, not an exception: the hot path stays cheap. The event is dead-lettered with
 * its message.
 */
export class CoerceFailure {
  constructor(readonly message: string) {}
}

/** A value as a reason describes it: its kind, and a short excerpt of its text. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}
