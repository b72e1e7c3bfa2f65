/** One sample of the Prometheus text format. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One cumulative histogram bucket: the count of observations ≤ `le` (ms; Infinity for +Inf). */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/** Prometheus text → samples (comments and unparsable lines skipped). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * The buckets of histogram `name` (seconds in the text, ms here), in the text's order; throws when
 * the samples hold none.
 */
export function histogramBuckets(samples: readonly Sample[], name: string): Bucket[] {
  const buckets = samples
    .filter((x) => x.name === `${name}_bucket`)
    .map((x) => ({
      le: x.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(x.labels.le) * 1000,
      count: x.value,
    }));
  if (buckets.length === 0) throw new Error(`/metrics has no ${name} histogram`);
  return buckets;
}

/**
 * Quantile from cumulative buckets, interpolated linearly inside the bucket that holds it (as
 * Prometheus' histogram_quantile does; the lowest bucket starts at 0). NaN when there is no observation.
 */
export function histogramQuantile(buckets: readonly Bucket[], q: number): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return lower; // beyond the largest bound: report the bound
      return lower + (b.le - lower) * ((rank - below) / Math.max(b.count - below, 1));
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}
