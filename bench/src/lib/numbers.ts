/**
 * Rounds to `digits` decimals; undefined, null and NaN pass through unchanged (so that a missing
 * figure stays missing in results.json).
 */
export function round<T extends number | null | undefined>(n: T, digits = 0): T {
  return typeof n !== "number" || Number.isNaN(n) ? n : (Number(n.toFixed(digits)) as T);
}

/** A figure for the table: an integer with thousands separators, or "–" when there is none. */
export function fmt(n: unknown): string {
  return typeof n === "number" && Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–";
}

/** Peak resident set of this process so far, in MB. */
export function rssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
