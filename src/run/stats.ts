/** Per event type counters. */
export interface TypeCounts {
  applied: number;
  stale: number;
  skipped: number;
  deadLettered: number;
}

/** What a run did: the summary of `replay`, the counters behind `/metrics`. */
export class Stats {
  read = 0;
  applied = 0;
  stale = 0;
  skipped = 0;
  deadLettered = 0;
  /** Updates/deletes/replaces that found no row to act on. */
  unmatched = 0;
  batches = 0;
  retries = 0;
  readonly rowsByTable = new Map<string, number>();
  readonly byEventType = new Map<string, TypeCounts>();
  /** Sizes (events) and commit latencies (ms) of the most recent batches. */
  readonly batchSizes: number[] = [];
  readonly batchMillis: number[] = [];
  batchEventsTotal = 0;
  batchMillisTotal = 0;
  readonly startedAt = performance.now();

  type(eventType: string): TypeCounts {
    let c = this.byEventType.get(eventType);
    if (!c) {
      c = { applied: 0, stale: 0, skipped: 0, deadLettered: 0 };
      this.byEventType.set(eventType, c);
    }
    return c;
  }

  recordBatch(size: number, millis: number): void {
    this.batchEventsTotal += size;
    this.batchMillisTotal += millis;
    this.batchSizes.push(size);
    this.batchMillis.push(millis);
    if (this.batchSizes.length > 1024) {
      this.batchSizes.splice(0, 512);
      this.batchMillis.splice(0, 512);
    }
  }

  addRows(table: string, n: number): void {
    this.rowsByTable.set(table, (this.rowsByTable.get(table) ?? 0) + n);
  }

  get rows(): number {
    let n = 0;
    for (const v of this.rowsByTable.values()) n += v;
    return n;
  }

  get seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  summary(): Record<string, unknown> {
    const s = this.seconds;
    return {
      read: this.read,
      applied: this.applied,
      stale: this.stale,
      skipped: this.skipped,
      dead_lettered: this.deadLettered,
      unmatched: this.unmatched,
      batches: this.batches,
      retries: this.retries,
      seconds: Number(s.toFixed(3)),
      events_per_second: Math.round(this.read / Math.max(s, 1e-9)),
      rows_per_second: Math.round(this.rows / Math.max(s, 1e-9)),
      rows_by_table: Object.fromEntries([...this.rowsByTable].sort(([a], [b]) => (a < b ? -1 : 1))),
    };
  }
}
