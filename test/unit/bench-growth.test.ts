import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../../bench/src/lib/config.js";
import { ratioRows } from "../../bench/src/lib/ratios.js";

const STAGES = ["replay", "growth"];

describe("bench growth stage: BENCH_GROWTH and its ratio", () => {
  it("reads ascending sizes, 200k and 1M by default, 0 for none", () => {
    expect(readConfig({}, STAGES).growth).toEqual([200_000, 1_000_000]);
    expect(readConfig({ BENCH_GROWTH: "200000,1_000_000,5000000" }, STAGES).growth).toEqual([
      200_000, 1_000_000, 5_000_000,
    ]);
    expect(readConfig({ BENCH_GROWTH: "0" }, STAGES).growth).toEqual([]);
  });

  it("refuses sizes out of order, zero among others, or not integers", () => {
    for (const raw of ["1000000,200000", "200000,200000", "0,1000", "1.5", "abc"])
      expect(() => readConfig({ BENCH_GROWTH: raw }, STAGES), raw).toThrow(ConfigError);
  });

  it("compares the largest size's events/s with the first's, against 85 %", () => {
    const config = readConfig({}, STAGES);
    const row = (ratio: number) =>
      ratioRows({ growth: { status: "ok", growth_ratio: ratio } }, config).find(
        (r) => r.key === "growth_last_vs_first",
      );
    expect(row(0.9)).toMatchObject({ value: 0.9, pass: true, name: "events/s at 1,000,000 / at 200,000" });
    expect(row(0.7)).toMatchObject({ pass: false });
    expect(ratioRows({}, config).find((r) => r.key === "growth_last_vs_first")?.pass).toBeUndefined();
  });
});
