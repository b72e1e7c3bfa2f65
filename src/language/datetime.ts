import { CoerceFailure, describe } from "./failure.js";

/**
 * Dates and times as the database stores them: ISO-8601 read (any offset, none meaning UTC) and
 * written as `YYYY-MM-DD HH:MM:SS.ffffff` in UTC. Hand-written: Date would drop the microseconds.
 */

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
export function validDate(y: number, m: number, d: number): boolean {
  if (y < 1000 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS[m - 1]!);
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

const TWO = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

// The same timestamp is usually coerced several times per event (the envelope's timestamp feeds
// the stamp of every action): remember the last answer.
let lastInput = "";
let lastFsp = -1;
let lastOutput: string | CoerceFailure = "";

/**
 * ISO-8601 (any offset, none meaning UTC) → `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, the text MySQL
 * and MariaDB both accept for DATETIME(6). Hand-written: Date would drop the microseconds.
 */
export function parseIsoDatetime(s: string, fsp = 6): string | CoerceFailure {
  if (s === lastInput && fsp === lastFsp) return lastOutput;
  const out = parseIso(s, fsp);
  lastInput = s;
  lastFsp = fsp;
  lastOutput = out;
  return out;
}

/** Digit value of the character at i, or -1. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function two(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/**
 * The shape nearly every event carries, `YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z]` (UTC), converted without
 * the RegExp and its captures (a fifth of the mapping's allocations); undefined for anything else,
 * which parseIsoGeneral reads. Same answers as parseIsoGeneral (test/unit/coerce.test.ts).
 */
function fastUtcIso(s: string, fsp: number): string | undefined {
  const n = s.length;
  if (n < 19 || n > 30) return undefined;
  const t = s.charCodeAt(10);
  if (
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    (t !== 84 && t !== 32) ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return undefined;
  const century = two(s, 0);
  const year = two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  const h = two(s, 11);
  const mi = two(s, 14);
  const sec = two(s, 17);
  if (century < 0 || year < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return undefined;
  if (!validDate(century * 100 + year, mo, d) || h > 23 || mi > 59 || sec > 59) return undefined;
  // After the seconds: nothing, `Z`, or `.digits` then nothing or `Z`.
  let end = n;
  const last = s.charCodeAt(n - 1);
  if (last === 90 || last === 122) end = n - 1;
  let fracEnd = 19;
  if (end > 19) {
    const dot = s.charCodeAt(19);
    if (dot !== 46 && dot !== 44) return undefined;
    if (end - 20 < 1 || end - 20 > 9) return undefined;
    for (let i = 20; i < end; i++) if (digit(s, i) < 0) return undefined;
    fracEnd = end;
  }
  const base = `${s.slice(0, 10)} ${s.slice(11, 19)}`;
  if (fsp === 0) return base;
  const given = fracEnd - 20; // digits of the fraction (≤ 0: none)
  if (given >= fsp) return `${base}.${s.slice(20, 20 + fsp)}`;
  const micros = given > 0 ? s.slice(20, fracEnd) + "000000".slice(given) : "000000";
  return `${base}.${micros.slice(0, fsp)}`;
}

function parseIso(s: string, fsp: number): string | CoerceFailure {
  return fastUtcIso(s, fsp) ?? parseIsoGeneral(s, fsp);
}

/** Any ISO-8601 form parseIsoDatetime accepts, read with the RegExp (exported for its tests). */
export function parseIsoGeneral(s: string, fsp: number): string | CoerceFailure {
  const m = ISO.exec(s);
  if (!m) return new CoerceFailure(`expected an ISO-8601 timestamp, got ${describe(s)}`);
  let y = +m[1]!;
  let mo = +m[2]!;
  let d = +m[3]!;
  let h = +m[4]!;
  let mi = +m[5]!;
  const sec = m[6] === undefined ? 0 : +m[6];
  const frac = m[7];
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || sec > 59) {
    return new CoerceFailure(`${describe(s)} is not a valid date and time`);
  }
  const zone = m[8];
  let datePart: string;
  if (zone && zone !== "Z" && zone !== "z" && !/^[+-]00(:?00)?$/.test(zone)) {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const oh = +digits.slice(0, 2);
    const om = digits.length > 2 ? +digits.slice(2, 4) : 0;
    if (oh > 23 || om > 59) return new CoerceFailure(`${describe(s)} has an invalid UTC offset`);
    const t = new Date(Date.UTC(y, mo - 1, d, h, mi) - sign * (oh * 60 + om) * 60_000);
    y = t.getUTCFullYear();
    mo = t.getUTCMonth() + 1;
    d = t.getUTCDate();
    h = t.getUTCHours();
    mi = t.getUTCMinutes();
    if (y < 1000 || y > 9999) return new CoerceFailure(`${describe(s)} is outside the DATETIME range`);
    datePart = `${String(y).padStart(4, "0")}-${TWO[mo]}-${TWO[d]}`;
  } else {
    datePart = s.slice(0, 10); // already YYYY-MM-DD in UTC
  }
  const base = `${datePart} ${TWO[h]}:${TWO[mi]}:${TWO[sec]}`;
  if (fsp === 0) return base;
  // Microseconds kept; digits past the sixth are below DATETIME(6)'s precision and dropped.
  const micros = frac === undefined ? "000000" : frac.length >= 6 ? frac.slice(0, 6) : frac.padEnd(6, "0");
  return `${base}.${micros.slice(0, fsp)}`;
}
