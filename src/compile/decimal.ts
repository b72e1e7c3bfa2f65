import type { RoundMode } from "../specs/types.js";

/**
 * Exact decimal numbers for the value transforms: a BigInt mantissa and a scale (value = m × 10^-s).
 * No binary floating point ever touches a decimal: `0.1 + 0.2` is `0.3`, `1999 / 100` is `19.99`.
 */
export interface Decimal {
  readonly m: bigint;
  readonly s: number;
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;
const EXPONENT = /^(-?)(\d+)(?:\.(\d+))?e([+-]?\d+)$/i;

/** The decimal a JSON number or decimal string stands for, or undefined when it is not one. */
export function toDecimal(v: unknown): Decimal | undefined {
  let text: string;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return undefined;
    // The shortest decimal that reads back as the number: what JSON wrote.
    text = String(v);
  } else if (typeof v === "string") text = v.trim();
  else return undefined;
  let m = DECIMAL_TEXT.exec(text);
  if (m) {
    const frac = m[3] ?? "";
    return normalize({ m: BigInt(`${m[1]}${m[2]}${frac}`), s: frac.length });
  }
  m = EXPONENT.exec(text);
  if (!m) return undefined;
  const frac = m[3] ?? "";
  const s = frac.length - Number(m[4]);
  const mant = BigInt(`${m[1]}${m[2]}${frac}`);
  return normalize(s >= 0 ? { m: mant, s } : { m: mant * 10n ** BigInt(-s), s: 0 });
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
