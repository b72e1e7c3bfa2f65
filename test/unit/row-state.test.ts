import { describe, expect, it } from "vitest";
import { compareDecimals, compareGuard } from "../../src/run/row-state.js";

const sign = (n: number) => Math.sign(n);

describe("compareGuard", () => {
  it("orders decimal guards by value, as MySQL compares a decimal column (not as text)", () => {
    expect(sign(compareGuard("9.5", "10"))).toBe(-1);
    expect(sign(compareGuard("10.0", "10"))).toBe(0);
    expect(sign(compareGuard("11", "9.5"))).toBe(1);
    expect(sign(compareGuard("-2.5", "-10"))).toBe(1);
    expect(sign(compareGuard("-0.0", "0"))).toBe(0);
  });

  it("orders timestamps as text and numbers numerically", () => {
    expect(sign(compareGuard("2025-01-02 00:00:00.000000", "2025-01-10 00:00:00.000000"))).toBe(-1);
    expect(sign(compareGuard(9, 10))).toBe(-1);
    expect(sign(compareGuard("10", 9))).toBe(1);
  });
});

describe("compareDecimals", () => {
  const cases: [string, string, number][] = [
    ["0.5", "0.50", 0],
    ["007.1", "7.10", 0],
    ["1.01", "1.1", -1],
    ["123456789012345678901.5", "123456789012345678901.25", 1],
    ["-1.5", "-1.25", -1],
    ["-1", "1", -1],
    ["0", "-0.001", 1],
  ];
  for (const [a, b, want] of cases)
    it(`${a} vs ${b}`, () => {
      expect(sign(compareDecimals(a, b))).toBe(want);
      expect(sign(compareDecimals(b, a))).toBe(-want || 0);
    });
});
