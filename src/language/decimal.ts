/** How an inexact decimal is rounded to its scale. */
export type RoundMode = "half_up" | "half_even" | "down" | "up";
export const ROUND_MODES: readonly RoundMode[] = ["half_up", "half_even", "down", "up"];

/**
 * Exact decimal numbers for the value transforms: a BigInt mantissa and a scale (value = m × 10^-s).
 * No binary floating point ever touches a decimal: `0.1 + 0.2` is `0.3`, `1999 / 100` is `19.99`.
 */
export interface Decimal {
  readonly m: bigint;
  readonly s: number;
}

/**
 * Limits of the numbers exact arithmetic takes, checked before any work on them: at most
 * MAX_DIGITS digits (a DECIMAL holds 65, a JSON double has at most 17 significant ones) and an
 * exponent from -MAX_EXPONENT to MAX_EXPONENT (every finite double: 5e-324 … 1.8e308). Within them
 * every operation costs microseconds; `1e999999999` would cost minutes of CPU and gigabytes.
 */
export const MAX_DIGITS = 100;
export const MAX_EXPONENT = 400;

/** A number over the limits: the transform's failure says which one (the event is dead-lettered). */
export class DecimalLimit {
  constructor(readonly message: string) {}
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;
const EXPONENT = /^(-?)(\d+)(?:\.(\d+))?e([+-]?\d+)$/i;
/** A number's text has this many characters at most besides its digits: sign, point, `e-400`. */
const MAX_NUMBER_CHARS = MAX_DIGITS + 8;

/**
 * The decimal a JSON number or decimal string stands for; undefined when it is not one (numeric
 * text is `-?digits[.digits][e±digits]`: no spaces, no plus sign, as a decimal column takes it),
 * a DecimalLimit when it is one beyond the limits. Linear in the text, and cheap for a long one.
 */
export function parseDecimal(v: unknown): Decimal | DecimalLimit | undefined {
  let text: string;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return undefined;
    // The shortest decimal that reads back as the number: what JSON wrote (within the limits).
    text = String(v);
  } else if (typeof v === "string") text = v;
  else return undefined;
  if (text.length > MAX_NUMBER_CHARS) return tooLong(text);
  let m = DECIMAL_TEXT.exec(text);
  if (m) {
    const frac = trimZeros(m[3] ?? "");
    return digitsOver(m[2]!, frac) ?? { m: BigInt(`${m[1]}${m[2]}${frac}`), s: frac.length };
  }
  m = EXPONENT.exec(text);
  if (!m) return undefined;
  const over = digitsOver(m[2]!, m[3] ?? "");
  if (over) return over;
  const exp = Number(m[4]);
  if (Math.abs(exp) > MAX_EXPONENT)
    return new DecimalLimit(
      `the number ${text} has an exponent beyond the limit of ±${MAX_EXPONENT} for exact arithmetic`,
    );
  const frac = m[3] ?? "";
  const s = frac.length - exp;
  const mant = BigInt(`${m[1]}${m[2]}${frac}`);
  return normalize(s >= 0 ? { m: mant, s } : { m: mant * 10n ** BigInt(-s), s: 0 });
}

/** The decimal of a number or decimal string, or undefined (not one, or beyond the limits). */
export function toDecimal(v: unknown): Decimal | undefined {
  const d = parseDecimal(v);
  return d instanceof DecimalLimit ? undefined : d;
}

function trimZeros(frac: string): string {
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  return end === frac.length ? frac : frac.slice(0, end);
}

function digitsOver(int: string, frac: string): DecimalLimit | undefined {
  const n = int.length + frac.length;
  return n > MAX_DIGITS
    ? new DecimalLimit(`a number of ${n} digits is over the limit of ${MAX_DIGITS} for exact arithmetic`)
    : undefined;
}

/** A long text: over the limit when it is numeric (scanned once), else not a number. */
function tooLong(text: string): DecimalLimit | undefined {
  if (!/^-?[\d.]+(?:e[+-]?\d+)?$/i.test(text)) return undefined;
  return new DecimalLimit(
    `a number of ${text.length} characters is over the limit of ${MAX_DIGITS} digits for exact arithmetic`,
  );
}

/** Trailing zeros of the fraction dropped (1.50 → 1.5). */
function normalize(d: Decimal): Decimal {
  let { m, s } = d;
  while (s > 0 && m % 10n === 0n) {
    m /= 10n;
    s--;
  }
  return { m, s };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const s = Math.max(a.s, b.s);
  return [a.m * 10n ** BigInt(s - a.s), b.m * 10n ** BigInt(s - b.s), s];
}

export function add(a: Decimal, b: Decimal): Decimal {
  const [x, y, s] = align(a, b);
  return normalize({ m: x + y, s });
}

export function sub(a: Decimal, b: Decimal): Decimal {
  const [x, y, s] = align(a, b);
  return normalize({ m: x - y, s });
}

export function mul(a: Decimal, b: Decimal): Decimal {
  return normalize({ m: a.m * b.m, s: a.s + b.s });
}

/** × 10^by. */
export function scaleBy(a: Decimal, by: number): Decimal {
  const s = a.s - by;
  return s >= 0 ? normalize({ m: a.m, s }) : normalize({ m: a.m * 10n ** BigInt(-s), s: 0 });
}

/** Compares exactly: negative, zero or positive. */
export function compare(a: Decimal, b: Decimal): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Rounds to `scale` decimals; undefined when the number has more and `mode` is undefined (an
 * inexact result is an error unless the spec says how to round).
 */
export function round(a: Decimal, scale: number, mode: RoundMode | undefined): Decimal | undefined {
  if (a.s <= scale) return a;
  if (mode === undefined) return undefined;
  const drop = 10n ** BigInt(a.s - scale);
  const negative = a.m < 0n;
  const abs = negative ? -a.m : a.m;
  let q = abs / drop;
  const r = abs % drop;
  if (r !== 0n) {
    const twice = r * 2n;
    const up =
      mode === "up" ||
      (mode === "half_up" && twice >= drop) ||
      (mode === "half_even" && (twice > drop || (twice === drop && q % 2n === 1n)));
    if (up) q += 1n;
  }
  return normalize({ m: negative ? -q : q, s: scale });
}

/**
 * a / b to `scale` decimals, exact or rounded by `mode`; undefined when it is not exact at that
 * scale and no mode is given, or when b is zero (the caller says which).
 */
export function div(a: Decimal, b: Decimal, scale: number, mode: RoundMode | undefined): Decimal | undefined {
  if (b.m === 0n) return undefined;
  // a/b = (a.m / b.m) × 10^(b.s - a.s); computed with `scale + 1` extra digits, then rounded.
  const extra = scale + 1;
  const shift = extra + b.s - a.s;
  let num = a.m;
  let den = b.m;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const q = num / den;
  const exact = num % den === 0n;
  const approx = { m: q, s: extra };
  if (exact) return round(normalize(approx), scale, mode);
  // Not exact at any scale up to `extra`: a mode must say what to do, and a sticky bit keeps half cases right.
  if (mode === undefined) return undefined;
  const sticky = { m: q * 10n + (num < 0n ? -1n : 1n), s: extra + 1 };
  return round(sticky, scale, mode);
}

/** The plain decimal text (no exponent): what a DECIMAL column takes. */
export function decimalText(d: Decimal): string {
  const negative = d.m < 0n;
  const digits = (negative ? -d.m : d.m).toString().padStart(d.s + 1, "0");
  const int = d.s === 0 ? digits : digits.slice(0, -d.s);
  const frac = d.s === 0 ? "" : `.${digits.slice(-d.s)}`;
  return `${negative ? "-" : ""}${int}${frac}`;
}

/** Whether the decimal is a whole number (so a transform's result fits an integer column). */
export function isInteger(d: Decimal): boolean {
  return d.s === 0;
}
