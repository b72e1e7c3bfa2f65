import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { PROMETHEUS_HOME } from "../../scripts/monitoring-tools.mjs";
import { projector } from "../helpers/kafka/processes.js";
import { produceRaw } from "../helpers/kafka/produce-raw.js";
import { testScope } from "../helpers/kafka/scope.js";
import { freePort, httpGet, metricSamples } from "../helpers/metrics-http.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { waitFor } from "../helpers/wait.js";
import { ALERTS, dashboard, PROMETHEUS_CONFIG, panelQueries, readYaml, resolved } from "./files.js";

const scope = testScope();
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups.splice(0)) c();
});

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * A real Prometheus (Debian's 2.42) on a free loopback port, its data under the git-ignored
 * .prometheus/, with the shipped configuration as it is but for where the run listens and how often
 * it is scraped (1 s instead of 15 s) and the rule file's absolute path.
 */
async function startPrometheus(target: string) {
  const dir = join(PROMETHEUS_HOME, `test-${process.pid}-${randomBytes(3).toString("hex")}`);
  mkdirSync(dir, { recursive: true });
  const config = readYaml(PROMETHEUS_CONFIG) as {
    global: Record<string, string>;
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  config.global.scrape_interval = "1s";
  config.global.evaluation_interval = "1s";
  config.rule_files = [ALERTS];
  expect(config.scrape_configs).toHaveLength(1);
  config.scrape_configs[0]!.static_configs = [{ targets: [target] }];
  writeFileSync(join(dir, "prometheus.yml"), stringify(config));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.env.PROJECTOR_TEST_PROMETHEUS ?? "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr!.on("data", (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  });
  cleanups.push(() => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  await waitFor(
    "Prometheus ready",
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log}`);
      return (await httpGet(port, "/-/ready")).status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  const api = async <T>(path: string): Promise<T> => {
    const r = await httpGet(port, `/api/v1/${path}`);
    const body = JSON.parse(r.body) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  const query = (q: string) =>
    api<{ resultType: string; result: PromResult[] }>(`query?query=${encodeURIComponent(q)}`);
  return { port, api, query, log: () => log };
}

describe("the shipped Prometheus configuration against a live projector run", () => {
  it("scrapes it, evaluates every alert rule without error, and every dashboard query returns data", async () => {
    const first = await streamFile(1500, 61);
    const second = await streamFile(2500, 62, false);
    const total = readEvents(first).length + readEvents(second).length + 1;
    const { ctx, env } = await scope.kafka(2);
    const emitted = await projector(["emit", first], env);
    expect(emitted.status, emitted.stderr).toBe(0);
    // A rebuild recorded (its phase and progress are panels), and a dead letter (a bad envelope).
    const rebuilt = await projector(["rebuild", "orders", "--json"], env);
    expect(rebuilt.status, rebuilt.stderr.slice(-2000)).toBe(0);
    await produceRaw(ctx.brokers, [
      { topic: `${ctx.prefix}order`, partition: 0, value: '{"event_type":"order.created"}' },
    ]);

    const port = await freePort();
    const prom = await startPrometheus(`127.0.0.1:${port}`);
    const run = scope.spawn(["run", "--from-beginning", "--metrics-port", String(port)], env);
    await waitFor(
      "Prometheus scraping the run",
      async () => {
        const { activeTargets } = await prom.api<{ activeTargets: { health: string; lastError: string }[] }>(
          "targets",
        );
        return activeTargets.length === 1 && activeTargets[0]!.health === "up";
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // More events while Prometheus watches: the rates and quantiles have something to show.
    const more = await projector(["emit", second], env);
    expect(more.status, more.stderr).toBe(0);
    await waitFor(
      "the run caught up, its dead letter read from MySQL",
      async () => {
        const m = metricSamples((await httpGet(port, "/metrics")).body);
        const lag = [...m].filter(([k]) => k.startsWith("projector_lag_events{"));
        return (
          m.get("projector_events_read_total") === total &&
          lag.length > 0 &&
          lag.every(([, v]) => v === 0) &&
          m.get(
            'projector_dead_letters{kind="failed",event_type="order.created",reason_class="envelope"}',
          ) === 1
        );
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    // promtool's lint of the exposition: nothing to say about projector's families (prom-client's
    // nodejs_active_*_total gauges are its own naming).
    const lint = spawnSync(process.env.PROJECTOR_TEST_PROMTOOL ?? "promtool", ["check", "metrics"], {
      input: (await httpGet(port, "/metrics")).body,
      encoding: "utf8",
    });
    const complaints = `${lint.stdout}${lint.stderr}`.split("\n").filter((l) => l.trim() !== "");
    expect(complaints.filter((l) => !/^nodejs_active_\w+_total non-counter/.test(l))).toEqual([]);
    // Scraped since: Prometheus holds the last values.
    await waitFor(
      "Prometheus has the caught-up samples",
      async () => {
        const read = await prom.query("max(projector_events_read_total)");
        const letters = await prom.query(
          'projector_dead_letters{kind="failed",event_type="order.created",reason_class="envelope"}',
        );
        return Number(read.result[0]?.value[1]) === total && Number(letters.result[0]?.value[1]) === 1;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );

    // Every panel's query, as Grafana sends it (every run, 1m rate windows), returns a number.
    const failures: string[] = [];
    for (const q of panelQueries(dashboard())) {
      const r = await prom.query(resolved(q.expr));
      const values = r.result.map((s) => Number(s.value[1])).filter((v) => Number.isFinite(v));
      if (values.length === 0)
        failures.push(`${q.panel} [${q.refId}] ${q.expr} → ${JSON.stringify(r.result)}`);
    }
    expect(failures).toEqual([]);

    // The rules load and evaluate without error in a real Prometheus; new failed letters fire the
    // dead-letter alert, and nothing else fires.
    await produceRaw(ctx.brokers, [
      { topic: `${ctx.prefix}order`, partition: 1, value: '{"event_type":"order.created","event_id":"x"}' },
    ]);
    const rules = await prom.api<{
      groups: { rules: { name: string; health: string; lastError?: string }[] }[];
    }>("rules");
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.map((r) => r.name).sort()).toHaveLength(7);
    for (const r of all) expect([r.name, r.health, r.lastError ?? ""]).toEqual([r.name, "ok", ""]);
    const firing = await waitFor(
      "ProjectorDeadLettersIncreasing firing",
      async () => {
        const { alerts } = await prom.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          "alerts",
        );
        return alerts.some(
          (a) => a.labels.alertname === "ProjectorDeadLettersIncreasing" && a.state === "firing",
        )
          ? alerts
          : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(
      firing.filter((a) => a.state === "firing").map((a) => [a.labels.alertname, a.labels.reason_class]),
    ).toEqual([["ProjectorDeadLettersIncreasing", "envelope"]]);

    const r = await run.stop("SIGTERM", 30_000);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(readFileSync(PROMETHEUS_CONFIG, "utf8")).toContain("projector:9464"); // the shipped file untouched
  }, 300_000);
});
