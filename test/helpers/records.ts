// Records of hand-written events for unit tests: the envelope, a position per record.
import type { SourceRecord } from "../../src/core/source-record.js";

export interface UnitEvent {
  readonly type: string;
  readonly entity: string;
  readonly timestamp: string;
  readonly data?: Record<string, unknown>;
  /** Repeats the event_id of record `id` (a redelivery at another position); default: this record's number. */
  readonly id?: number;
}

/**
 * A maker of numbered records: each call is the next line of `source` (line numbers too with
 * `lines`, as a file's records have them), its event_id `<prefix>-<number>`; `count` is the last
 * number given.
 */
export function recordMaker(
  prefix: string,
  source = "unit",
  lines = false,
): { (e: UnitEvent): SourceRecord; reset(): void; readonly count: number } {
  let n = 0;
  const make = (e: UnitEvent): SourceRecord => {
    n++;
    const value = Buffer.from(
      JSON.stringify({
        event_type: e.type,
        event_id: `${prefix}-${e.id ?? n}`,
        timestamp: e.timestamp,
        entity_id: e.entity,
        data: e.data ?? {},
      }),
    );
    return lines
      ? { value, position: `line ${n}`, line: n, source }
      : { value, position: `line ${n}`, source };
  };
  return Object.defineProperty(
    Object.assign(make, {
      reset: () => {
        n = 0;
      },
    }),
    "count",
    { get: () => n },
  ) as typeof make & { reset(): void; readonly count: number };
}
