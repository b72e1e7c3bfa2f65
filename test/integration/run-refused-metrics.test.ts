import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { projector } from "../helpers/kafka/processes.js";
import { testScope } from "../helpers/kafka/scope.js";
import { editedSpecs, PHONE_EDITS } from "../helpers/letters.js";
import { freePort, httpGet, metricSamples } from "../helpers/metrics-http.js";
import { waitFor } from "../helpers/wait.js";

const scope = testScope();
const specs = editedSpecs(PHONE_EDITS);
afterAll(() => rmSync(specs, { recursive: true, force: true }));

describe("a run refused for spec drift, serving /metrics", () => {
  it("says so on /metrics until a scrape has seen it, then exits 1 naming the rebuild", async () => {
    const { env } = await scope.kafka(1);
    const migrated = await projector(["migrate"], env);
    expect(migrated.status, migrated.stderr).toBe(0);
    const port = await freePort();
    // orders' rows were recorded with the specs before customer_phone: they need a rebuild.
    const run = scope.spawn(["run", "--metrics-port", String(port), "--projections", specs], env);
    const seen = await waitFor(
      "projector_run_refused 1",
      async () => {
        const m = metricSamples((await httpGet(port, "/metrics")).body);
        return m.get('projector_run_refused{reason="spec_drift"}') === 1 ? m : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(seen.get("projector_ready")).toBe(0);
    // The scrape ends the wait: the exit follows within moments, not the 30 s bound.
    const started = Date.now();
    const r = await run.wait(15_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("projector rebuild orders");

    // Without the metrics server, the refusal is immediate, as before.
    const plain = await projector(["run", "--projections", specs], env);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toContain("projector rebuild orders");
  }, 120_000);
});
