import { describe, expect, it } from "vitest";
import { readConfig } from "../../bench/src/lib/config.js";
import { ratioRows } from "../../bench/src/lib/ratios.js";

const config = readConfig({}, ["sink", "replay", "kafka", "backlog"]);
const ok = (figures: Record<string, number>) => ({ status: "ok", ...figures });
const row = (stages: Record<string, unknown>, key: string) =>
  ratioRows(stages as Parameters<typeof ratioRows>[0], config).find((r) => r.key === key);

describe("bench ratios: issue 30's targets", () => {
  it("kafka against the sink limit (80 %) and against replay (90 %)", () => {
    const stages = {
      sink: ok({ rows_per_second: 30_000 }),
      replay: ok({ events_per_second: 10_000, rows_per_second: 22_000 }),
      kafka: ok({ events_per_second: 9_500, rows_per_second: 21_000 }),
    };
    expect(row(stages, "kafka_vs_sink")).toMatchObject({ value: 0.7, pass: false });
    expect(row(stages, "kafka_vs_replay")).toMatchObject({ value: 0.95, pass: true });
  });

  it("the backlog's rows/s against the sink limit (70 %), its peak RSS at most 250 MB", () => {
    const stages = {
      sink: ok({ rows_per_second: 20_000 }),
      backlog: ok({ rows_per_second: 15_000, max_rss_mb: 251 }),
    };
    expect(row(stages, "backlog_vs_sink")).toMatchObject({ value: 0.75, pass: true });
    expect(row(stages, "backlog_peak_rss_mb")).toMatchObject({ value: 251, pass: false });
    expect(row({}, "backlog_vs_sink")?.pass).toBeUndefined();
  });
});
