import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { filteredOut, MapError, mapEvent } from "../../src/compile/map-event.js";
import { checkExamples } from "../../src/examples/check-examples.js";
import * as dec from "../../src/language/decimal.js";
import { compareValues } from "../../src/values/conditions.js";
import { loadSpecDir, loadSpecTexts } from "../helpers/specs.js";

const d = (v: unknown) => dec.toDecimal(v)!;
const text = (x: dec.Decimal | undefined) => (x ? dec.decimalText(x) : undefined);

describe("exact decimals", () => {
  it("add, subtract and multiply without binary floating point", () => {
    expect(text(dec.add(d(0.1), d(0.2)))).toBe("0.3");
    expect(text(dec.sub(d("10.00"), d("0.01")))).toBe("9.99");
    expect(text(dec.mul(d("19.99"), d(3)))).toBe("59.97");
    expect(text(dec.scaleBy(d(1999), -2))).toBe("19.99");
    expect(text(dec.scaleBy(d("1.5"), 3))).toBe("1500");
    expect(text(d("1e-7"))).toBe("0.0000001");
    expect(dec.toDecimal("12a")).toBeUndefined();
  });

  it("divide exactly, or say it is not exact unless told how to round", () => {
    expect(text(dec.div(d(1999), d(100), 2, undefined))).toBe("19.99");
    expect(dec.div(d(1), d(3), 4, undefined)).toBeUndefined();
    expect(text(dec.div(d(1), d(3), 4, "half_even"))).toBe("0.3333");
    expect(text(dec.div(d(2), d(3), 2, "half_up"))).toBe("0.67");
    expect(text(dec.div(d(2), d(3), 2, "down"))).toBe("0.66");
    expect(text(dec.div(d(-2), d(3), 2, "half_up"))).toBe("-0.67");
    expect(dec.div(d(1), d(0), 2, "half_up")).toBeUndefined();
  });

  it("round half up, half even, down and up", () => {
    expect(text(dec.round(d("2.5"), 0, "half_up"))).toBe("3");
    expect(text(dec.round(d("2.5"), 0, "half_even"))).toBe("2");
    expect(text(dec.round(d("3.5"), 0, "half_even"))).toBe("4");
    expect(text(dec.round(d("-2.5"), 0, "half_up"))).toBe("-3");
    expect(text(dec.round(d("2.91"), 0, "down"))).toBe("2");
    expect(text(dec.round(d("2.01"), 0, "up"))).toBe("3");
    expect(dec.round(d("2.01"), 1, undefined)).toBeUndefined();
  });
});

describe("the limits of exact arithmetic, checked before any work", () => {
  /** Runs `f`, and fails when it took longer than `ms` (old code: seconds to minutes of CPU). */
  function quick<T>(ms: number, f: () => T): T {
    const started = performance.now();
    const r = f();
    expect(performance.now() - started).toBeLessThan(ms);
    return r;
  }

  it("take every finite double and everything a decimal(65,30) holds, and -0 as 0", () => {
    expect(text(d(5e-324))).toBe(`0.${"0".repeat(323)}5`);
    expect(text(d(1.7976931348623157e308))).toBe(`17976931348623157${"0".repeat(292)}`);
    expect(text(d(`${"9".repeat(35)}.${"9".repeat(30)}`))).toBe(`${"9".repeat(35)}.${"9".repeat(30)}`);
    expect(text(d(-0))).toBe("0");
    expect(text(d("-0.000"))).toBe("0");
    expect(text(d(`1e${dec.MAX_EXPONENT}`))).toBe(`1${"0".repeat(dec.MAX_EXPONENT)}`);
    expect(text(d(`1.${"0".repeat(98)}`))).toBe("1");
  });

  it("refuse a larger exponent or more digits, naming the limit, in microseconds", () => {
    const limit = (v: unknown) => quick(500, () => dec.parseDecimal(v));
    expect(limit("1e999999999")).toEqual(
      new dec.DecimalLimit(
        "the number 1e999999999 has an exponent beyond the limit of ±400 for exact arithmetic",
      ),
    );
    expect(limit("-1.5E-999999999999999999999")).toBeInstanceOf(dec.DecimalLimit);
    expect(limit(`1e${dec.MAX_EXPONENT + 1}`)).toBeInstanceOf(dec.DecimalLimit);
    expect(limit("1".repeat(101))).toEqual(
      new dec.DecimalLimit("a number of 101 digits is over the limit of 100 for exact arithmetic"),
    );
    // 100 KB of zeros was ~37 s (trailing zeros dropped one BigInt division at a time).
    expect(limit(`1.${"0".repeat(100_000)}`)).toEqual(
      new dec.DecimalLimit(
        "a number of 100002 characters is over the limit of 100 digits for exact arithmetic",
      ),
    );
    // A long text that is no number at all is just not a number.
    expect(limit(`x${"0".repeat(100_000)}`)).toBeUndefined();
    expect(dec.toDecimal("1e999999999")).toBeUndefined();
  });

  it("numeric text is -?digits[.digits][e±digits], in transforms as in decimal columns: no spaces, no plus", () => {
    for (const t of [" 5", "5 ", "+5", "0x10", "1_000", "Infinity", "NaN", "1.", ".5", "1e", "--1", "٣"])
      expect(dec.parseDecimal(t), t).toBeUndefined();
    expect((amountOf("{ add: [$.data.a, 0] }", { a: " 5" }) as MapError).reason).toBe(
      't.amount ← add($.data.a, constant 0): add expected a number, got the string " 5"',
    );
    expect((amountOf("$.data.a", { a: " 5" }) as MapError).reason).toContain(
      'expected a decimal number, got the string " 5"',
    );
    expect((amountOf("$.data.a", { a: "+5" }) as MapError).reason).toContain(
      'expected a decimal number, got the string "+5"',
    );
  });

  it("make an event over them a letter whose reason names the limit, and stays short", () => {
    const huge = quick(2000, () => amountOf("{ div: [$.data.a, 100] }", { a: "1e999999999" }));
    expect((huge as MapError).reason).toBe(
      "t.amount ← div($.data.a, constant 100): div: the number 1e999999999 has an exponent beyond the limit of ±400 for exact arithmetic",
    );
    for (const transform of ["add", "sub", "mul", "div"]) {
      const r = quick(2000, () => amountOf(`{ ${transform}: [$.data.a, 3] }`, { a: "7".repeat(70_000) }));
      expect((r as MapError).reason).toBe(
        `t.amount ← ${transform}($.data.a, constant 3): ${transform}: a number of 70000 characters is over the limit of 100 digits for exact arithmetic`,
      );
    }
    const round = quick(2000, () =>
      amountOf("{ round: $.data.a, decimals: 0 }", { a: `0.${"5".repeat(100_000)}` }),
    );
    expect((round as MapError).reason).toContain("over the limit of 100 digits");
    const scale = quick(2000, () => amountOf("{ scale: $.data.a, by: 65 }", { a: "1e-400" }));
    expect(scale).toBeInstanceOf(MapError);
  });

  it("an inexact division quotes its operands cut short", () => {
    const r = amountOf("{ div: [$.data.a, 3] }", { a: "1".repeat(100) }) as MapError;
    expect(r.reason.length).toBeLessThan(300);
    expect(r.reason).toMatch(
      /^t\.amount ← div\(\$\.data\.a, constant 3\): div: 1{17,18} …\[100 characters, cut\]… 1{17,18} \/ 3 is not exact/,
    );
  });

  it("scale takes a power of ten from -65 to 65 (validate says so)", () => {
    expect(
      oneColumn("{ scale: $.data.a, by: 66 }")
        .issues.map((i) => i.message)
        .join("\n"),
    ).toMatch(/by/);
    expect(oneColumn("{ scale: $.data.a, by: 65 }").issues).toEqual([]);
  });
});

describe("condition comparisons", () => {
  it("compare numbers by value, timestamps as instants, text exactly, booleans and null by equality", () => {
    expect(compareValues(9.5, 10)).toBeLessThan(0);
    expect(compareValues("10.00", 10)).toBe(0);
    expect(compareValues("2025-03-05T12:00:00+02:00", "2025-03-05T09:30:00Z")).toBeGreaterThan(0);
    expect(compareValues("2025-03-05T10:00:00+01:00", "2025-03-05T09:00:00Z")).toBe(0);
    expect(compareValues("b", "a")).toBeGreaterThan(0);
    expect(compareValues("10", "9")).toBeLessThan(0); // text is text
    expect(compareValues(true, true)).toBe(0);
    expect(compareValues(true, 1)).toBeUndefined();
    expect(compareValues(null, null)).toBe(0);
    expect(compareValues(null, 0)).toBeUndefined();
  });

  it("compare a number beyond the limits of exact arithmetic with nothing, at once", () => {
    const started = performance.now();
    expect(compareValues("1e999999999", 0)).toBeUndefined();
    expect(compareValues(`1.${"0".repeat(100_000)}`, 1)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(500);
  });
});

/** One table, one event type whose `amount` column is written by `value`. */
function oneColumn(value: string, column = 'amount: { type: "decimal(12,2)", nullable: true }') {
  const { spec, issues } = loadSpecTexts([
    {
      file: "t.yaml",
      text: `tables:\n  t:\n    primary_key: [id]\n    columns:\n      id: { type: varchar(10) }\n      ${column}\nevents:\n  t.e:\n    - upsert: t\n      columns: { id: $.entity_id, amount: ${value} }\n`,
    },
  ]);
  return { compiled: issues.length ? undefined : compile(spec), issues };
}
const envelope = (data: Record<string, unknown>) => ({
  event_type: "t.e",
  event_id: "e",
  timestamp: "2025-01-01T00:00:00Z",
  entity_id: "x",
  data,
});
function amountOf(value: string, data: Record<string, unknown>, column?: string): unknown {
  const { compiled, issues } = oneColumn(value, column);
  expect(issues).toEqual([]);
  const r = mapEvent(compiled!.events.get("t.e")!, envelope(data));
  return r instanceof MapError ? r : r[0]!.values[1];
}

describe("transforms at run time", () => {
  it("dead-letter a value they cannot take, naming the column and the transform", () => {
    expect((amountOf("{ div: [$.data.a, $.data.b] }", { a: 1, b: 0 }) as MapError).reason).toBe(
      "t.amount ← div($.data.a, $.data.b): div: division by zero",
    );
    expect((amountOf("{ div: [$.data.a, 3] }", { a: 1 }) as MapError).reason).toContain(
      "is not exact at 2 decimals (give mode:",
    );
    const status = "amount: { type: varchar(10), nullable: true }";
    expect(
      (amountOf("{ map: $.data.s, values: { a: A } }", { s: "z" }, status) as MapError).reason,
    ).toContain('map: the string "z" is not in its values (a)');
    expect(
      (amountOf("{ length: $.data.s }", { s: "abc" }, "amount: { type: int, nullable: true }") as MapError)
        .reason,
    ).toContain("length expected an array or a map");
    expect(
      (amountOf("{ date: $.data.s }", { s: "soon" }, "amount: { type: date, nullable: true }") as MapError)
        .reason,
    ).toContain("date: expected an ISO-8601 timestamp");
  });

  it("leave the column alone when an argument is absent, and write NULL when one is null", () => {
    const { compiled } = oneColumn("{ div: [$.data.a, 100] }");
    const absent = mapEvent(compiled!.events.get("t.e")!, envelope({}));
    expect(absent).not.toBeInstanceOf(MapError);
    expect((absent as { signature: string }[])[0]!.signature).toBe("10");
    expect(amountOf("{ div: [$.data.a, 100] }", { a: null })).toBeNull();
  });

  it("take a decimal column's scale for div and round, and write decimals as exact text", () => {
    expect(
      amountOf("{ div: [$.data.a, 8] }", { a: 1 }, 'amount: { type: "decimal(12,3)", nullable: true }'),
    ).toBe("0.125");
    expect(amountOf("{ round: { div: [$.data.a, 8], decimals: 3 } }", { a: 1 })).toBe("0.13");
    expect(amountOf("{ mul: [$.data.a, 1.1] }", { a: 3 })).toBe("3.30");
    expect(amountOf("{ div: [$.data.a, 4] }", { a: 10 }, "amount: { type: double, nullable: true }")).toBe(
      2.5,
    );
  });
});

describe("conditions", () => {
  it("filter an event by its type's when; not on an absent value holds", () => {
    const { spec, issues } = loadSpecTexts([
      {
        file: "w.yaml",
        text: `tables:\n  t:\n    primary_key: [id]\n    columns: { id: { type: varchar(10) } }\nevents:\n  t.e:\n    when: { all: [{ path: $.data.channel, in: [web, app] }, { not: { path: $.data.test, eq: true } }] }\n    actions:\n      - upsert: t\n        columns: { id: $.entity_id }\n`,
      },
    ]);
    expect(issues).toEqual([]);
    const actions = compile(spec).events.get("t.e")!;
    expect(filteredOut(actions, envelope({ channel: "web" }))).toBe(false);
    expect(filteredOut(actions, envelope({ channel: "app", test: false }))).toBe(false);
    expect(filteredOut(actions, envelope({ channel: "app", test: true }))).toBe(true);
    expect(filteredOut(actions, envelope({ channel: "pos" }))).toBe(true);
    expect(filteredOut(actions, envelope({}))).toBe(true);
  });
});

describe("the forms fixture", () => {
  it("uses every form, and every example passes", () => {
    const { spec, issues } = loadSpecDir(fileURLToPath(new URL("../fixtures/forms", import.meta.url)));
    expect(issues).toEqual([]);
    const results = checkExamples(compile(spec));
    expect(results.length).toBeGreaterThanOrEqual(7);
    for (const r of results) expect(r.failures, r.example.name).toEqual([]);
  });

  it("compiles to the pinned DDL, generated columns included, on both servers", async () => {
    const { spec } = loadSpecDir(fileURLToPath(new URL("../fixtures/forms", import.meta.url)));
    for (const dialect of ["mariadb", "mysql"] as const) {
      const ddl = `${compile(spec, dialect)
        .tables.map((t) => t.ddl)
        .join(";\n\n")};\n`;
      await expect(ddl).toMatchFileSnapshot(`../golden/forms-ddl.${dialect}.sql`);
    }
  });
});
