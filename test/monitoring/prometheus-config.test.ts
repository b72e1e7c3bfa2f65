import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROMETHEUS_HOME } from "../../scripts/monitoring-tools.mjs";
import { REPO } from "../helpers/cli.js";
import {
  ALERT_TESTS,
  ALERTS,
  alertRules,
  metricNames,
  PROMETHEUS_CONFIG,
  readYaml,
  servedNames,
} from "./files.js";

const promtool = () => process.env.PROJECTOR_TEST_PROMTOOL ?? "promtool";

function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(promtool(), args, { cwd: REPO, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("the shipped Prometheus configuration, checked by promtool 2.42", () => {
  it("is Debian's promtool 2.42", () => {
    expect(execFileSync(promtool(), ["--version"], { encoding: "utf8" })).toMatch(
      /^promtool, version 2\.42\./,
    );
  });

  it("passes promtool check config (which checks the rule files it names too)", () => {
    const r = run(["check", "config", PROMETHEUS_CONFIG]);
    expect(r.out).toContain("SUCCESS: 1 rule files found");
    expect(r.status, r.out).toBe(0);
  });

  it("passes promtool check rules", () => {
    const r = run(["check", "rules", ALERTS]);
    expect(r.out).toContain(`SUCCESS: ${alertRules().length} rules found`);
    expect(r.status, r.out).toBe(0);
  });

  it("passes promtool test rules: every alert fires and clears", () => {
    const r = run(["test", "rules", ALERT_TESTS]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("SUCCESS");
  });

  it("a wrong expectation fails promtool test rules (the tests can fail)", () => {
    const broken = readFileSync(ALERT_TESTS, "utf8").replace(
      "the lag grows by 1 events/s",
      "the lag grows by 2 events/s",
    );
    const dir = join(PROMETHEUS_HOME, `broken-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(join(dir, "alerts.test.yml"), broken);
      copyFileSync(ALERTS, join(dir, "alerts.yml"));
      const r = run(["test", "rules", join(dir, "alerts.test.yml")]);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain("FAILED");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives every alert a summary, a description and a runbook line, and a severity", () => {
    const rules = alertRules();
    expect(rules.map((r) => r.alert).sort()).toEqual([
      "ProjectorDeadLettersIncreasing",
      "ProjectorDown",
      "ProjectorLagGrowing",
      "ProjectorNoCommitWhileLagging",
      "ProjectorNotReady",
      "ProjectorRebuildStalled",
      "ProjectorRunRefusedSpecDrift",
    ]);
    for (const r of rules) {
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      // A runbook says what to do: it names a command or a place to look.
      expect(r.annotations?.runbook, r.alert).toMatch(/projector (status|rebuild|dead-letters)|logs/);
      expect(["warning", "critical"], r.alert).toContain(r.labels?.severity);
    }
  });

  it("has a unit test per alert that makes it fire, and a later evaluation where it has cleared", () => {
    type Case = { eval_time: string; alertname: string; exp_alerts: unknown[] };
    const tests = (readYaml(ALERT_TESTS) as { tests: { alert_rule_test: Case[] }[] }).tests;
    const minutes = (t: string) => Number(t.replace(/m$/, ""));
    for (const { alert } of alertRules()) {
      const cases = tests.flatMap((t) => t.alert_rule_test).filter((c) => c.alertname === alert);
      const fired = cases.filter((c) => c.exp_alerts.length > 0).map((c) => minutes(c.eval_time));
      const cleared = cases.filter((c) => c.exp_alerts.length === 0).map((c) => minutes(c.eval_time));
      expect(fired.length, `${alert} never fires in a test`).toBeGreaterThan(0);
      expect(
        cleared.some((t) => t > Math.min(...fired)),
        `${alert} never clears after firing in a test`,
      ).toBe(true);
    }
  });

  it("reads only metrics the exporter serves (and Prometheus' own up)", async () => {
    const served = await servedNames();
    for (const r of alertRules())
      for (const name of metricNames(r.expr))
        expect(name === "up" || served.has(name), `${r.alert} reads ${name}`).toBe(true);
  });

  it("scrapes the compose stack's projector service on the port its run serves", () => {
    const config = readYaml(PROMETHEUS_CONFIG) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const compose = readYaml(join(REPO, "docker-compose.yml")) as {
      services: Record<string, { command?: string[]; volumes?: string[]; ports?: string[] }>;
    };
    const job = config.scrape_configs.find((s) => s.job_name === "projector");
    const command = compose.services.projector!.command!;
    const port = command[command.indexOf("--metrics-port") + 1];
    expect(job?.static_configs[0]?.targets).toEqual([`projector:${port}`]);
    expect(config.rule_files).toEqual(["alerts.yml"]);
    expect(compose.services.prometheus!.volumes).toContain("./monitoring/prometheus:/etc/prometheus:ro");
    // Published on the host's loopback only.
    for (const s of ["prometheus", "grafana"])
      for (const p of compose.services[s]!.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:/);
  });
});
