import { afterEach, describe, expect, it } from "vitest";
import { kafkaSettings } from "../../src/source/kafka/config.js";

describe("Kafka settings from the environment", () => {
  const saved = process.env.KAFKA_SESSION_TIMEOUT_MS;
  afterEach(() => {
    if (saved === undefined) delete process.env.KAFKA_SESSION_TIMEOUT_MS;
    else process.env.KAFKA_SESSION_TIMEOUT_MS = saved;
  });

  it("takes the session timeout from KAFKA_SESSION_TIMEOUT_MS (default 30 s), within what brokers allow", () => {
    delete process.env.KAFKA_SESSION_TIMEOUT_MS;
    expect(kafkaSettings().sessionTimeoutMs).toBe(30_000);
    process.env.KAFKA_SESSION_TIMEOUT_MS = "6000";
    expect(kafkaSettings().sessionTimeoutMs).toBe(6_000);
    for (const bad of ["5999", "300001", "10s", "6e3.5"]) {
      process.env.KAFKA_SESSION_TIMEOUT_MS = bad;
      expect(() => kafkaSettings()).toThrow(
        /KAFKA_SESSION_TIMEOUT_MS must be a whole number of milliseconds from 6000 to 300000/,
      );
    }
  });
});
