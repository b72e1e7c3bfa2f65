/**
 * Bounded text from unbounded input: a value quoted in a reason, a reason kept in a dead letter.
 * Cut in the middle (the head says what, the tail often says why) with a marker that says how long
 * the whole was, on whole code points (never half a surrogate pair).
 */
export function cut(s: string, max: number, what = "characters"): string {
  if (s.length <= max) return s;
  const marker = ` …[${s.length} ${what}, cut]… `;
  const room = Math.max(0, max - marker.length);
  const head = Math.ceil(room / 2);
  return `${whole(s.slice(0, head), "end")}${marker}${whole(s.slice(s.length - (room - head)), "start")}`;
}

/** Drops a lone surrogate left at the cut edge. */
function whole(s: string, edge: "start" | "end"): string {
  if (s.length === 0) return s;
  if (edge === "end") {
    const c = s.charCodeAt(s.length - 1);
    return c >= 0xd800 && c <= 0xdbff ? s.slice(0, -1) : s;
  }
  const c = s.charCodeAt(0);
  return c >= 0xdc00 && c <= 0xdfff ? s.slice(1) : s;
}

/** A value's text as a reason quotes it: at most `max` characters (default 60). */
export function excerpt(s: string, max = 60): string {
  return cut(s, max);
}
