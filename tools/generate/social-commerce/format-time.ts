/**
 * ISO-8601 timestamps from a µs instant, written by hand: Date#toISOString has no microseconds or
 * offsets and is too slow to call several times per event.
 */

/** Offsets (minutes) a timestamp may be expressed in: Europe, the Americas, India, Japan. */
export const OFFSETS = [60, 120, -300, -480, 330, 540] as const;

function offsetSuffix(minutes: number): string {
  if (minutes === 0) return "Z";
  const abs = Math.abs(minutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${minutes < 0 ? "-" : "+"}${hh}:${mm}`;
}

const TWO_DIGITS: readonly string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const DAY_MS = 86_400_000;
/** "YYYY-MM-DDT" per day number: Date#toISOString is slow, and a stream stays on one day for a long time. */
const dayPrefixes = new Map<number, string>();

function dayPrefix(day: number): string {
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size > 4096) dayPrefixes.clear();
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  return prefix;
}

/** The instant `us` (µs since epoch) as ISO-8601 local time in `offsetMin`; fraction = 6 digits or none. */
export function formatTime(us: number, withFraction: boolean, offsetMin: number): string {
  const localMs = Math.floor(us / 1000) + offsetMin * 60_000;
  const day = Math.floor(localMs / DAY_MS);
  const secondOfDay = Math.floor((localMs - day * DAY_MS) / 1000);
  const time = `${TWO_DIGITS[Math.floor(secondOfDay / 3600)]}:${TWO_DIGITS[Math.floor(secondOfDay / 60) % 60]}:${TWO_DIGITS[secondOfDay % 60]}`;
  const fraction = withFraction ? `.${String(us % 1_000_000).padStart(6, "0")}` : "";
  return dayPrefix(day) + time + fraction + offsetSuffix(offsetMin);
}

/** One day in µs, the unit of the clock. */
export const DAY_US = 86_400_000_000;
