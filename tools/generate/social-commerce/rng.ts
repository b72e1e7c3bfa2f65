/**
 * The one seeded source of randomness. Everything the generator draws goes through a single `Rng`,
 * in a fixed order, which is what makes a stream a pure function of (count, seed, start).
 */

/** Two lowercase hex digits per byte value: a lookup beats toString(16) in the id hot path. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `n` (a u32) as 8 lowercase hex digits: the building block of ids and UUIDs. */
export function hex32(n: number): string {
  return (
    HEX_BYTE[(n >>> 24) & 255]! +
    HEX_BYTE[(n >>> 16) & 255]! +
    HEX_BYTE[(n >>> 8) & 255]! +
    HEX_BYTE[n & 255]!
  );
}

/** mulberry32: tiny, fast, good enough for synthetic data, and identical on every platform. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    // Spread small consecutive seeds (1, 2, 3…) over the whole 32-bit state space; fold in the high
    // bits so that integer seeds up to 2^53 differ too.
    const low = seed >>> 0;
    const high = Math.floor(seed / 4294967296) >>> 0;
    this.state = (Math.imul(low ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(high, 0xc2b2ae35)) >>> 0;
  }

  /** The next 32-bit output; every other draw is built on it. */
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** true with probability `p` */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** a uniformly random element of a non-empty array */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** up to n distinct elements, in random order */
  sample<T>(items: readonly T[], n: number): T[] {
    const copy = items.slice();
    const out: T[] = [];
    while (out.length < n && copy.length > 0) {
      const i = Math.floor(this.float() * copy.length);
      out.push(copy[i]!);
      copy[i] = copy[copy.length - 1]!;
      copy.pop();
    }
    return out;
  }

  /** RFC 4122 version 4 layout, lowercase. */
  uuid(): string {
    const a = this.u32();
    const b = this.u32();
    const c = this.u32();
    const d = this.u32();
    const h = HEX_BYTE;
    // xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx: version nibble 4, variant bits 10
    return (
      `${hex32(a)}-${h[b >>> 24]}${h[(b >>> 16) & 255]}-${h[((b >>> 8) & 0x0f) | 0x40]}${h[b & 255]}-` +
      `${h[((c >>> 24) & 0x3f) | 0x80]}${h[(c >>> 16) & 255]}-${h[(c >>> 8) & 255]}${h[c & 255]}${hex32(d)}`
    );
  }

  /** `n` random characters of `alphabet` */
  chars(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.float() * alphabet.length)];
    return s;
  }

  /** `n` random decimal digits (leading zeros allowed) */
  digits(n: number): string {
    return this.chars("0123456789", n);
  }
}
