import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { createMetrics } from "../../src/jobs/metrics.js";
import { Stats } from "../../src/run/stats.js";
import { REPO } from "../helpers/cli.js";

/** The shipped monitoring configuration. */
export const MONITORING = join(REPO, "monitoring");
export const PROMETHEUS_CONFIG = join(MONITORING, "prometheus", "prometheus.yml");
export const ALERTS = join(MONITORING, "prometheus", "alerts.yml");
export const ALERT_TESTS = join(MONITORING, "prometheus", "alerts.test.yml");
export const DASHBOARD = join(MONITORING, "grafana", "dashboards", "projector.json");

export const readYaml = (file: string) => parse(readFileSync(file, "utf8")) as Record<string, unknown>;

export interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(): Rule[] {
  const groups = (readYaml(ALERTS) as { groups: { rules: Rule[] }[] }).groups;
  return groups.flatMap((g) => g.rules);
}

export interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } | string; allValue?: string }[] };
}

export const dashboard = () => JSON.parse(readFileSync(DASHBOARD, "utf8")) as Dashboard;

/** The dashboard's queries: each panel's title and target with its expression. */
export function panelQueries(d: Dashboard): { panel: string; refId: string; expr: string }[] {
  return d.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr })),
  );
}

/**
 * A query as Grafana sends it with every run selected, over `rate` windows of `interval`: its
 * template variables replaced as Grafana replaces them.
 */
export function resolved(expr: string, interval = "1m"): string {
  return expr.replaceAll('=~"$instance"', '=~".*"').replaceAll("$__rate_interval", interval);
}

/** The metric names a PromQL expression reads (PromQL's own words and label names left out). */
export function metricNames(expr: string): string[] {
  const text = expr.replace(/"(?:\\.|[^"\\])*"/g, '""'); // label values and strings out
  const names = new Set<string>();
  for (const m of text.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{|\[)/g)) names.add(m[1]!);
  // A bare selector without braces or range, e.g. `up == 0`:
  for (const m of text.matchAll(
    /(?:^|[\s(,])((?:projector|process|nodejs)_[A-Za-z0-9_:]*)(?![A-Za-z0-9_:(])/g,
  ))
    names.add(m[1]!);
  return [...names].filter((n) => !/^(by|without|on|ignoring|group_left|group_right)$/.test(n));
}

/**
 * Every series name the exporter serves (histograms with their _bucket, _sum and _count): the
 * registry of `run --metrics-port`, with the families read from MySQL present.
 */
export async function servedNames(): Promise<Set<string>> {
  const registry = createMetrics(
    {
      stats: new Stats(),
      lag: () => [],
      ready: () => true,
      letters: () => ({ letters: [], retried: [], purged: [], rebuilds: [] }),
      refused: () => undefined,
    },
    { processMetrics: true },
  );
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    const type = String(m.type);
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(`${m.name}${s}`);
    if (type === "summary") for (const s of ["_sum", "_count"]) names.add(`${m.name}${s}`);
  }
  return names;
}
