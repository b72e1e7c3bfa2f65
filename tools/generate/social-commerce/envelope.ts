/** One generated event: the envelope the projections consume, around an entity's payload `data`. */
export interface Envelope {
  event_type: string;
  event_id: string;
  timestamp: string;
  entity_id: string;
  data: Record<string, unknown>;
}
