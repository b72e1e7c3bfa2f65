/** A BENCH_* variable that does not parse; the runner prints it and exits with code 2. */
export class ConfigError extends Error {}

/** The run's settings, from BENCH_* (and a few of the CLI's) environment variables: bench/README.md. */
export interface BenchConfig {
  /** Events in the generated stream every stage uses (BENCH_EVENTS). */
  readonly events: number;
  readonly seed: number;
  /** Events of the backlog stage; 0 skips it. */
  readonly backlog: number;
  /** Stream sizes of the growth stage (the same generator, replayed at each size); empty skips it. */
  readonly growth: readonly number[];
  readonly latency_seconds: number;
  readonly latency_rate: number;
  readonly latency_warmup: number;
  /** The naive stage's prefix of the stream (at most `events`). */
  readonly naive_events: number;
  readonly sink_rows_per_statement: number;
  readonly sink_statements_per_tx: number;
  /** BENCH_ONLY: the stages to run, or null for all. */
  readonly only: readonly string[] | null;
  readonly kafka_brokers: string;
  /** Events of the flat and peer stages (user.created / user.updated, repeated with new ids). */
  readonly flat_events: number;
  /** Partitions of the flat and peer stages' topics. */
  readonly flat_partitions: number;
  /** Events of the counters stage's stream (counting domain, ~3 % redelivered); 0 skips it. */
  readonly counters_events: number;
  /** Passed through to replay/run by the environment; null: the CLI's defaults. */
  readonly projector_batch_size: string | null;
}

type Env = Readonly<Record<string, string | undefined>>;

function envInt(env: Env, name: string, def: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return def;
  const n = Number(raw.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min)
    throw new ConfigError(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

/** A comma list of event counts, ascending (`0` or nothing else: none). */
function envSizes(env: Env, name: string, def: readonly number[]): readonly number[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return def;
  const sizes = raw.split(",").map((part) => envInt({ [name]: part }, name, 0));
  if (sizes.length === 1 && sizes[0] === 0) return [];
  if (sizes.some((n, i) => n < 1 || (i > 0 && n <= sizes[i - 1]!)))
    throw new ConfigError(
      `${name} must be event counts in ascending order, like 200000,1000000, got ${JSON.stringify(raw)}`,
    );
  return sizes;
}

/**
 * Reads the configuration; `stages` are the known stage names (for BENCH_ONLY). The MySQL server is
 * not part of it (see mysql-server.ts): results.json never holds its URL. Throws ConfigError on a
 * value that does not parse.
 */
export function readConfig(env: Env, stages: readonly string[]): BenchConfig {
  const events = envInt(env, "BENCH_EVENTS", 200_000, 1);
  const only = (env.BENCH_ONLY ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((s) => !stages.includes(s));
  if (unknown.length)
    throw new ConfigError(`BENCH_ONLY: unknown stage(s) ${unknown.join(", ")} (known: ${stages.join(",")})`);
  return {
    events,
    seed: envInt(env, "BENCH_SEED", 42, -(2 ** 31)),
    backlog: envInt(env, "BENCH_BACKLOG", 1_000_000),
    growth: envSizes(env, "BENCH_GROWTH", [200_000, 1_000_000]),
    latency_seconds: envInt(env, "BENCH_LATENCY_SECONDS", 30, 1),
    latency_rate: envInt(env, "BENCH_LATENCY_RATE", 2000, 100),
    latency_warmup: envInt(env, "BENCH_LATENCY_WARMUP", 5, 0),
    naive_events: Math.min(envInt(env, "BENCH_NAIVE_EVENTS", events, 1), events),
    sink_rows_per_statement: envInt(env, "BENCH_SINK_ROWS", 1000, 1),
    sink_statements_per_tx: envInt(env, "BENCH_SINK_STATEMENTS_PER_TX", 5, 1),
    only: only.length ? only : null,
    flat_events: envInt(env, "BENCH_FLAT_EVENTS", 100_000, 1),
    flat_partitions: envInt(env, "BENCH_FLAT_PARTITIONS", 4, 1),
    counters_events: envInt(env, "BENCH_COUNTERS_EVENTS", 200_000),
    kafka_brokers: env.KAFKA_BROKERS ?? "127.0.0.1:9092",
    projector_batch_size: env.PROJECTOR_BATCH_SIZE ?? null,
  };
}
