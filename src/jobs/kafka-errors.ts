import { UserError } from "../core/user-error.js";

/**
 * A kafkajs failure as the user sees it: refused credentials (SASL) exit 1, a broker that cannot be
 * reached exit 2; undefined for anything else (a bug). Never echoes the password (kafkajs does not
 * put it in its messages).
 */
export function kafkaUserError(e: unknown, brokers: readonly string[]): UserError | undefined {
  const err = e as { name?: string; type?: string; message?: string } | null;
  const name = err?.name ?? "";
  const message = err?.message ?? String(e);
  if (name === "KafkaJSSASLAuthenticationError" || /SASL/.test(err?.type ?? ""))
    return new UserError(
      `Kafka at ${brokers.join(",")} refused the SASL authentication: ${message} (check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and that the listener uses SASL)`,
    );
  if (/KafkaJS(Connection|NumberOfRetriesExceeded|BrokerNotFound|RequestTimeout)/.test(name))
    return new UserError(`cannot reach Kafka at ${brokers.join(",")}: ${message} (set KAFKA_BROKERS)`, 2);
  return undefined;
}
