import { describe, expect, it } from "vitest";
import { testScope } from "../helpers/kafka/scope.js";
import { waitFor } from "../helpers/wait.js";

const scope = testScope();

describe("projector run stopped while it starts", () => {
  it("exits 0 on SIGTERM before it has joined the group, and does not join it after", async () => {
    const { env } = await scope.kafka(2);
    const run = scope.spawn(["run"], env, { logs: true });
    // Logged before it creates its tables, topics and consumer: the signal lands in the middle.
    await waitFor("the run to begin", async () => run.stderr().includes('"msg":"projector run"'), {
      timeoutMs: 20_000,
      intervalMs: 5,
    });
    const stopped = await run.stop("SIGTERM", 20_000);
    expect(stopped.status, stopped.stderr.slice(-3000)).toBe(0);
    expect(stopped.stderr).not.toContain('"msg":"joined consumer group"');
  }, 60_000);
});
