import { DAY_US, formatTime, OFFSETS } from "./format-time.js";
import type { Rng } from "./rng.js";

/** Where a stream starts when no `start` is given. */
export const DEFAULT_START = "2025-01-01T00:00:00Z";

/**
 * The stream's clock: the current instant, moved forward once per event, and the two ways it is written
 * (envelope timestamps and document created_at/updated_at). It draws from the world's Rng, so the
 * order of its draws is part of the stream.
 */
export class Clock {
  /** current instant, µs since epoch (exact in a double until the year 2255) */
  private nowUs: number;
  /** envelope timestamp of the current step */
  private stampText = "";
  private started = false;

  constructor(
    private readonly rng: Rng,
    start: string,
  ) {
    const ms = Date.parse(start);
    if (Number.isNaN(ms)) throw new RangeError(`invalid start timestamp: ${start}`);
    this.nowUs = ms * 1000;
  }

  /** The current instant, µs since epoch. */
  get now(): number {
    return this.nowUs;
  }

  /** The envelope timestamp chosen by the last tick(). */
  get stamp(): string {
    return this.stampText;
  }

  /**
   * Advance the clock by a small random step and choose how this event's timestamp is written.
   * Steps: mostly bursts (ms apart), sometimes seconds, now and then quiet minutes.
   */
  tick(): void {
    const { rng } = this;
    const r = rng.float();
    if (!this.started)
      this.started = true; // the first event happens at `start`
    else if (r < 0.6) this.nowUs += rng.int(0, 2_000_000);
    else if (r < 0.95) this.nowUs += Math.floor(-Math.log(1 - rng.float()) * 20_000_000);
    else this.nowUs += rng.int(60_000_000, 600_000_000);

    const f = rng.float();
    if (f < 0.78) {
      this.stampText = formatTime(this.nowUs, true, 0);
    } else {
      const offset = f < 0.86 ? 0 : rng.pick(OFFSETS);
      const withFraction = offset !== 0 && rng.chance(0.5);
      // Without a fraction the written instant must be exact, or the stream would step backwards.
      if (!withFraction) this.nowUs = Math.ceil(this.nowUs / 1_000_000) * 1_000_000;
      this.stampText = formatTime(this.nowUs, withFraction, offset);
    }
  }

  /** created_at/updated_at style: mostly whole seconds in UTC, like the examples; some µs, some offsets. */
  docTime(): string {
    const f = this.rng.float();
    if (f < 0.65) return formatTime(this.nowUs, false, 0);
    if (f < 0.85) return formatTime(this.nowUs, true, 0);
    return formatTime(this.nowUs, false, this.rng.pick(OFFSETS));
  }

  /** Midnight UTC `days` from today, for promotion schedules. */
  dayStart(days: number): number {
    return (Math.floor(this.nowUs / DAY_US) + days) * DAY_US;
  }
}
