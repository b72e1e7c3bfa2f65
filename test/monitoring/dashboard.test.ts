import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../helpers/cli.js";
import {
  DASHBOARD,
  dashboard,
  MONITORING,
  metricNames,
  panelQueries,
  readYaml,
  resolved,
  servedNames,
} from "./files.js";

const provisioning = join(MONITORING, "grafana", "provisioning");

describe("the Grafana dashboard (Grafana itself cannot run here: its JSON and provisioning are checked)", () => {
  it("is a dashboard Grafana provisions: uid, title, schema version, panels on a 24-column grid without overlaps", () => {
    const d = dashboard();
    expect(d.uid).toBe("projector");
    expect(d.title).toBe("projector");
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of d.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${p.title} fits the grid`).toBe(true);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${p.title} overlaps another panel at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
    }
  });

  it("has the panels an operator looks at, each with a query on the provisioned datasource", () => {
    const d = dashboard();
    const titles = d.panels.filter((p) => p.type !== "row").map((p) => p.title);
    for (const t of [
      "Lag (events) per topic and partition",
      "Lag (seconds) per topic and partition",
      "Events/s by outcome",
      "Events/s by event type",
      "Rows/s per table",
      "Batch duration",
      "Event-to-commit latency",
      "Dead letters by kind and reason class",
      "Readiness per run",
      "Rebuild phase",
      "Rebuild progress",
      "CPU",
      "Memory",
    ])
      expect(titles).toContain(t);
    const datasource = readYaml(join(provisioning, "datasources", "prometheus.yml")) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    const uid = datasource.datasources[0]!.uid;
    expect(datasource.datasources[0]!.url).toBe("http://prometheus:9090");
    for (const p of d.panels.filter((p) => p.type !== "row")) {
      expect(p.targets?.length, `${p.title} has a query`).toBeGreaterThan(0);
      expect(p.datasource?.uid, p.title).toBe(uid);
      for (const t of p.targets!) {
        expect(t.datasource?.uid, `${p.title} ${t.refId}`).toBe(uid);
        expect(t.expr.trim(), `${p.title} ${t.refId}`).not.toBe("");
      }
    }
    // Latency panels are quantiles of histograms (they combine across the runs of a group).
    for (const q of panelQueries(d).filter((q) => /duration|latency/i.test(q.panel)))
      expect(q.expr).toMatch(/^histogram_quantile\(0\.\d+, sum by \(le\) \(rate\(projector_\w+_bucket\{/);
  });

  it("queries only metrics the exporter serves, and no variable Grafana would not replace", async () => {
    const served = await servedNames();
    const d = dashboard();
    for (const q of panelQueries(d)) {
      expect(resolved(q.expr), `${q.panel}: only $instance and $__rate_interval`).not.toContain("$");
      const names = metricNames(q.expr);
      expect(names.length, `${q.panel} reads a metric`).toBeGreaterThan(0);
      for (const n of names)
        expect(served.has(n), `${q.panel} reads ${n}, which /metrics does not serve`).toBe(true);
    }
    const [variable] = d.templating.list;
    expect(variable?.name).toBe("instance");
    expect(JSON.stringify(variable?.query)).toContain("projector_ready");
  });

  it("is provisioned from the folder compose mounts, and Grafana opens on it", () => {
    const compose = readYaml(join(REPO, "docker-compose.yml")) as {
      services: Record<string, { volumes?: string[]; environment?: Record<string, string> }>;
    };
    const grafana = compose.services.grafana!;
    const provider = readYaml(join(provisioning, "dashboards", "projector.yml")) as {
      providers: { options: { path: string } }[];
    };
    const path = provider.providers[0]!.options.path;
    expect(grafana.volumes).toContain(`./monitoring/grafana/dashboards:${path}:ro`);
    expect(grafana.volumes).toContain("./monitoring/grafana/provisioning:/etc/grafana/provisioning:ro");
    expect(grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${path}/projector.json`);
    expect(JSON.parse(readFileSync(DASHBOARD, "utf8")).uid).toBe("projector");
  });
});
