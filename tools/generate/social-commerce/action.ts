/**
 * The shape of one row of the action table (one row per event type). Each entity module builds its
 * rows as closures over the World, so the table needs no knowledge of entities.
 */

/** An event payload: the `data` object of the envelope. */
export type Data = Record<string, unknown>;
/** What an action produces: the entity the event is about and its payload. */
export interface Emit {
  entityId: string;
  data: Data;
}

/** One event type: how often it happens and how to produce it from the current state. */
export interface Action {
  readonly type: string;
  /** relative frequency (≈ percent of the stream when every action is possible) */
  readonly weight: number;
  possible(): boolean;
  /** mutates the state and returns the payload, or null when no suitable entity was found */
  run(): Emit | null;
}

/** For actions that can always run (creations that need no other entity). */
export const always = (): boolean => true;
