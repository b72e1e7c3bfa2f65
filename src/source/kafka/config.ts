import { readFileSync } from "node:fs";
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from "kafkajs";
import { log } from "../../core/log.js";
import { UserError } from "../../core/user-error.js";

export interface KafkaSettings {
  readonly brokers: string[];
  readonly clientId: string;
  readonly groupId: string;
  /** Partitions for topics the projector creates (emit, run). */
  readonly partitions: number;
  /** Prepended to every topic name (env KAFKA_TOPIC_PREFIX): separate environments on one cluster. */
  readonly topicPrefix: string;
  /**
   * How long the group waits for a silent member before giving its partitions to the others (env
   * KAFKA_SESSION_TIMEOUT_MS, 6000 to 300000, default 30000): a member killed without leaving
   * holds its partitions that long.
   */
  readonly sessionTimeoutMs: number;
}

/** KAFKA_SESSION_TIMEOUT_MS: brokers refuse less than 6 s and more than 5 min by default. */
function sessionTimeout(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return 30_000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 6_000 || n > 300_000)
    throw new UserError(
      `KAFKA_SESSION_TIMEOUT_MS must be a whole number of milliseconds from 6000 to 300000, got ${JSON.stringify(raw)}`,
    );
  return n;
}

/** Reads the Kafka settings from the environment (12-factor); flags override where given. */
export function kafkaSettings(flags: { brokers?: string; groupId?: string } = {}): KafkaSettings {
  return {
    brokers: (flags.brokers ?? process.env.KAFKA_BROKERS ?? "localhost:9092")
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean),
    clientId: process.env.KAFKA_CLIENT_ID ?? "projector",
    groupId: flags.groupId ?? process.env.KAFKA_GROUP_ID ?? "projector",
    partitions: Number(process.env.PROJECTOR_PARTITIONS ?? 6),
    topicPrefix: process.env.KAFKA_TOPIC_PREFIX ?? "",
    sessionTimeoutMs: sessionTimeout(process.env.KAFKA_SESSION_TIMEOUT_MS),
  };
}

/**
 * TLS and SASL from the environment: KAFKA_SSL=true, KAFKA_SSL_CA/CERT/KEY (file paths),
 * KAFKA_SASL_MECHANISM (plain, scram-sha-256, scram-sha-512), KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.
 */
function security(): Pick<KafkaConfig, "ssl" | "sasl"> {
  const env = process.env;
  const out: Pick<KafkaConfig, "ssl" | "sasl"> = {};
  const file = (k: string) => (env[k] ? readFileSync(env[k]!, "utf8") : undefined);
  if (env.KAFKA_SSL === "true" || env.KAFKA_SSL_CA) {
    const ca = file("KAFKA_SSL_CA");
    const cert = file("KAFKA_SSL_CERT");
    const key = file("KAFKA_SSL_KEY");
    out.ssl =
      ca || cert || key
        ? { ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) }
        : true;
  }
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism) {
    if (!["plain", "scram-sha-256", "scram-sha-512"].includes(mechanism)) {
      throw new Error(`KAFKA_SASL_MECHANISM must be plain, scram-sha-256 or scram-sha-512, got ${mechanism}`);
    }
    out.sasl = {
      mechanism,
      username: env.KAFKA_SASL_USERNAME ?? "",
      password: env.KAFKA_SASL_PASSWORD ?? "",
    } as SASLOptions;
  }
  return out;
}

const LEVEL: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/** A kafkajs client whose logs go through our structured logger (never with credentials). */
export function createKafka(settings: KafkaSettings, options: { retries?: number } = {}): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ...security(),
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: options.retries ?? 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        const fields = Object.fromEntries(
          Object.entries(rest).filter(
            ([k]) => !/sasl|password|ssl|stack/i.test(k) && k !== "timestamp" && k !== "logger",
          ),
        );
        // kafkajs logs expected reconnects as errors; keep them, but as warnings.
        log[LEVEL[level] === "error" ? "warn" : (LEVEL[level] ?? "info")](`kafka: ${message}`, fields);
      },
  });
}
