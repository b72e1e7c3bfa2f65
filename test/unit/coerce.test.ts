import { describe, expect, it } from "vitest";
import type { ColumnType } from "../../src/specs/types.js";
import {
  CoerceFailure,
  coercerFor,
  MAX_JSON_DEPTH,
  parseIsoDatetime,
  parseIsoGeneral,
} from "../../src/values/coerce.js";

/** The coerced value, or throws with the failure's message (so a wrong success shows what came out). */
function ok(type: ColumnType, value: unknown): unknown {
  const out = coercerFor(type)(value);
  if (out instanceof CoerceFailure)
    throw new Error(`expected ${String(value)} to coerce, got: ${out.message}`);
  return out;
}

/** The failure message; fails the test when the value is accepted. */
function failure(type: ColumnType, value: unknown): string {
  const out = coercerFor(type)(value);
  expect(out, `expected a CoerceFailure, got ${JSON.stringify(out)}`).toBeInstanceOf(CoerceFailure);
  return (out as CoerceFailure).message;
}

function iso(text: string, fsp?: number): string {
  const out = parseIsoDatetime(text, fsp);
  if (out instanceof CoerceFailure) throw new Error(`expected ${text} to parse, got: ${out.message}`);
  return out;
}

function isoFailure(text: string): string {
  const out = parseIsoDatetime(text);
  expect(out, `expected ${text} to be rejected, got ${JSON.stringify(out)}`).toBeInstanceOf(CoerceFailure);
  return (out as CoerceFailure).message;
}

describe("parseIsoDatetime", () => {
  it("converts Z, offsets and no offset (UTC) to UTC text with 6 fraction digits", () => {
    expect(iso("2025-01-15T10:30:00Z")).toBe("2025-01-15 10:30:00.000000");
    expect(iso("2025-01-15T10:30:00z")).toBe("2025-01-15 10:30:00.000000");
    expect(iso("2025-01-15T11:00:00+01:00")).toBe("2025-01-15 10:00:00.000000");
    expect(iso("2025-01-15T10:00:00-05:30")).toBe("2025-01-15 15:30:00.000000");
    expect(iso("2025-01-15T10:30:00")).toBe("2025-01-15 10:30:00.000000");
    expect(iso("2025-01-15T10:30:00+00:00")).toBe("2025-01-15 10:30:00.000000");
    expect(iso("2025-01-15T10:30:00-00:00")).toBe("2025-01-15 10:30:00.000000");
  });

  it("accepts compact and hour-only offsets, a space separator and a missing seconds field", () => {
    expect(iso("2025-01-15T10:30:00+0100")).toBe("2025-01-15 09:30:00.000000");
    expect(iso("2025-01-15T10:30:00+01")).toBe("2025-01-15 09:30:00.000000");
    expect(iso("2025-01-15 10:30:00")).toBe("2025-01-15 10:30:00.000000");
    expect(iso("2025-01-15T10:30Z")).toBe("2025-01-15 10:30:00.000000");
  });

  it("keeps microseconds and pads or truncates other fraction lengths", () => {
    expect(iso("2025-01-15T10:30:00.123456Z")).toBe("2025-01-15 10:30:00.123456");
    expect(iso("2025-01-15T10:30:00.123Z")).toBe("2025-01-15 10:30:00.123000");
    expect(iso("2025-01-15T10:30:00.5Z")).toBe("2025-01-15 10:30:00.500000");
    expect(iso("2025-01-15T10:30:00,5Z")).toBe("2025-01-15 10:30:00.500000");
    // nanoseconds: DATETIME(6) keeps 6 digits, the rest is cut (never rounded into the next second)
    expect(iso("2025-01-15T10:30:00.123456789Z")).toBe("2025-01-15 10:30:00.123456");
    expect(iso("2025-01-15T23:59:59.999999999Z")).toBe("2025-01-15 23:59:59.999999");
    // However many digits past the sixth (docs: dropped), also through an offset: 10 were refused.
    expect(iso("2025-01-15T10:30:00.1234567890Z")).toBe("2025-01-15 10:30:00.123456");
    expect(iso("2025-01-15T10:30:00.12345678901234567890+01:00")).toBe("2025-01-15 09:30:00.123456");
    const started = performance.now();
    expect(iso(`2025-01-15T10:30:00.${"9".repeat(100_000)}Z`)).toBe("2025-01-15 10:30:00.999999");
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("keeps the fraction through an offset conversion", () => {
    expect(iso("2025-01-15T11:30:00.000001+01:00")).toBe("2025-01-15 10:30:00.000001");
  });

  it("honours the column's fractional precision", () => {
    expect(iso("2025-01-15T10:30:00.123456Z", 3)).toBe("2025-01-15 10:30:00.123");
    expect(iso("2025-01-15T10:30:00.123456Z", 0)).toBe("2025-01-15 10:30:00");
  });

  it("moves across day, month and year boundaries", () => {
    expect(iso("2025-01-01T00:30:00+01:00")).toBe("2024-12-31 23:30:00.000000");
    expect(iso("2024-12-31T23:00:00-02:00")).toBe("2025-01-01 01:00:00.000000");
    expect(iso("2025-02-28T23:30:00-01:00")).toBe("2025-03-01 00:30:00.000000");
    expect(iso("2024-02-28T23:30:00-01:00")).toBe("2024-02-29 00:30:00.000000");
    expect(iso("2025-03-01T00:15:00+05:30")).toBe("2025-02-28 18:45:00.000000");
    expect(iso("2025-01-15T20:00:00-14:00")).toBe("2025-01-16 10:00:00.000000");
  });

  it("accepts 29 February only in leap years", () => {
    expect(iso("2024-02-29T00:00:00Z")).toBe("2024-02-29 00:00:00.000000");
    expect(iso("2000-02-29T12:00:00Z")).toBe("2000-02-29 12:00:00.000000");
    expect(isoFailure("2025-02-29T00:00:00Z")).toContain("2025-02-29T00:00:00Z");
    expect(isoFailure("1900-02-29T00:00:00Z")).toContain("not a valid date and time");
  });

  it("rejects impossible dates and times, naming the value", () => {
    for (const bad of [
      "2025-02-30T00:00:00Z",
      "2025-04-31T00:00:00Z",
      "2025-13-01T00:00:00Z",
      "2025-00-10T00:00:00Z",
      "2025-01-00T00:00:00Z",
      "2025-01-15T25:00:00Z",
      "2025-01-15T24:00:00Z",
      "2025-01-15T10:60:00Z",
      "2025-01-15T10:30:60Z",
    ]) {
      const message = isoFailure(bad);
      expect(message).toContain(bad);
      expect(message).toContain("not a valid date and time");
    }
  });

  it("rejects offsets that are not offsets", () => {
    const message = isoFailure("2025-01-15T10:30:00+24:00");
    expect(message).toContain("+24:00");
    expect(message).toContain("invalid UTC offset");
    expect(isoFailure("2025-01-15T10:30:00+01:60")).toContain("invalid UTC offset");
  });

  it("rejects results outside the DATETIME range", () => {
    expect(isoFailure("9999-12-31T23:00:00-02:00")).toContain("outside the DATETIME range");
    expect(isoFailure("1000-01-01T00:30:00+01:00")).toContain("outside the DATETIME range");
    expect(isoFailure("0999-12-31T00:00:00Z")).toContain("0999-12-31T00:00:00Z");
  });

  it("rejects garbage and incomplete timestamps, naming the value", () => {
    for (const bad of [
      "garbage",
      "",
      "2025-01-15",
      "2025-1-15T10:30:00Z",
      "2025-01-15T10:30:00+01:",
      "2025-01-15T10:30:00 UTC",
      "2025-01-15T10:30:00.Z",
      "1736937000",
      " 2025-01-15T10:30:00Z",
    ]) {
      const message = isoFailure(bad);
      expect(message).toContain("ISO-8601");
      expect(message).toContain(JSON.stringify(bad));
    }
  });

  it("shortens very long garbage in the message", () => {
    const message = isoFailure("x".repeat(500));
    expect(message.length).toBeLessThan(120);
    expect(message).toContain("…");
  });
});

describe("coercerFor", () => {
  describe("integers", () => {
    it("accept integers within range, including the limits", () => {
      expect(ok({ name: "int" }, 42)).toBe(42);
      expect(ok({ name: "int" }, 0)).toBe(0);
      expect(ok({ name: "int" }, 2147483647)).toBe(2147483647);
      expect(ok({ name: "int" }, -2147483648)).toBe(-2147483648);
      expect(ok({ name: "tinyint" }, 127)).toBe(127);
      expect(ok({ name: "tinyint" }, -128)).toBe(-128);
      expect(ok({ name: "smallint" }, 32767)).toBe(32767);
      expect(ok({ name: "bigint" }, Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
      expect(ok({ name: "bigint" }, Number.MIN_SAFE_INTEGER)).toBe(Number.MIN_SAFE_INTEGER);
      expect(ok({ name: "int" }, 1.0)).toBe(1);
    });

    it("reject fractions, naming the value", () => {
      const message = failure({ name: "int" }, 1.5);
      expect(message).toContain("1.5");
      expect(message).toContain("integer");
    });

    it("reject strings, booleans, null and containers instead of converting them", () => {
      expect(failure({ name: "int" }, "1")).toBe('expected an integer, got the string "1"');
      expect(failure({ name: "int" }, true)).toContain("boolean true");
      expect(failure({ name: "int" }, null)).toContain("null");
      expect(failure({ name: "int" }, [1])).toContain("an array");
      expect(failure({ name: "int" }, { n: 1 })).toContain("an object");
    });

    it("reject out-of-range values, naming the value and the range", () => {
      expect(failure({ name: "int" }, 2147483648)).toBe(
        "2147483648 is out of range for int (-2147483648..2147483647)",
      );
      expect(failure({ name: "int" }, -2147483649)).toContain("-2147483649");
      expect(failure({ name: "tinyint" }, 128)).toBe("128 is out of range for tinyint (-128..127)");
      expect(failure({ name: "tinyint" }, -129)).toContain("-128..127");
      expect(failure({ name: "smallint" }, 32768)).toContain("32768 is out of range for smallint");
    });

    it("reject bigint values beyond the exactly representable range", () => {
      const message = failure({ name: "bigint" }, 2 ** 53);
      expect(message).toContain(String(2 ** 53));
      expect(message).toContain(String(Number.MAX_SAFE_INTEGER));
      // 9007199254740993 parses to 2^53: the digits were already lost, so it must not be stored.
      expect(failure({ name: "bigint" }, JSON.parse("9007199254740993"))).toContain(
        "out of range for bigint",
      );
      expect(failure({ name: "bigint" }, -(2 ** 53))).toContain("out of range");
    });
  });

  describe("strings", () => {
    const varchar5: ColumnType = { name: "varchar", length: 5 };

    it("count characters (code points), not UTF-16 units", () => {
      expect(ok(varchar5, "abcde")).toBe("abcde");
      expect(ok(varchar5, "😀😀😀😀😀")).toBe("😀😀😀😀😀");
      expect(ok(varchar5, "ééééé")).toBe("ééééé");
    });

    it("reject over-long strings instead of truncating them, naming the size and the limit", () => {
      expect(failure(varchar5, "abcdef")).toBe("string of 6 characters is longer than the column's 5");
      expect(failure(varchar5, "😀😀😀😀😀😀")).toBe("string of 6 characters is longer than the column's 5");
      expect(failure({ name: "char", length: 3 }, "abcd")).toContain("column's 3");
    });

    it('CHAR drops trailing spaces as MySQL does ("ab " and "ab" are one value and one key)', () => {
      const char3: ColumnType = { name: "char", length: 3 };
      expect(ok(char3, "ab ")).toBe("ab");
      expect(ok(char3, "abc   ")).toBe("abc");
      expect(ok(char3, " a")).toBe(" a");
      expect(ok(char3, "   ")).toBe("");
      expect(ok(varchar5, "ab ")).toBe("ab ");
    });

    it("turn numbers and booleans into their decimal text", () => {
      expect(ok(varchar5, 12345)).toBe("12345");
      expect(ok(varchar5, 1.5)).toBe("1.5");
      expect(ok(varchar5, true)).toBe("true");
      expect(failure(varchar5, 123456)).toContain("6 characters");
    });

    it("reject objects, arrays and null, pointing at json columns", () => {
      expect(failure(varchar5, { a: 1 })).toContain("an object");
      expect(failure(varchar5, [1])).toContain("an array");
      expect(failure(varchar5, { a: 1 })).toContain("json column");
      expect(failure(varchar5, null)).toContain("null");
    });

    it("limit text and mediumtext by UTF-8 bytes", () => {
      expect(ok({ name: "text" }, "a".repeat(65535))).toHaveLength(65535);
      expect(failure({ name: "text" }, "a".repeat(65536))).toBe(
        "string of 65536 bytes is longer than the column's 65535",
      );
      // 2 bytes per "é": 32767 fit (65534 bytes), 32768 do not (65536 bytes)
      expect(ok({ name: "text" }, "é".repeat(32767))).toHaveLength(32767);
      expect(failure({ name: "text" }, "é".repeat(32768))).toContain("65536 bytes");
      // 4 bytes per emoji
      expect(failure({ name: "text" }, "😀".repeat(16384))).toContain("65536 bytes");
      expect(ok({ name: "mediumtext" }, "a".repeat(65536))).toHaveLength(65536);
    });

    it("keep NUL characters (MySQL stores them)", () => {
      expect(ok(varchar5, "a\u0000b")).toBe("a\u0000b");
      expect(ok({ name: "text" }, "\u0000")).toBe("\u0000");
    });

    it("reject lone surrogates (not encodable as UTF-8)", () => {
      expect(failure(varchar5, "a\uD800b")).toContain("unpaired surrogate");
      expect(failure(varchar5, "\uDC00")).toContain("unpaired surrogate");
      expect(failure({ name: "text" }, "x\uD83D")).toContain("unpaired surrogate");
    });
  });

  describe("boolean", () => {
    it("accepts true/false/1/0 as 1/0", () => {
      expect(ok({ name: "boolean" }, true)).toBe(1);
      expect(ok({ name: "boolean" }, false)).toBe(0);
      expect(ok({ name: "boolean" }, 1)).toBe(1);
      expect(ok({ name: "boolean" }, 0)).toBe(0);
    });

    it("rejects anything else, naming the value", () => {
      expect(failure({ name: "boolean" }, "yes")).toBe('expected a boolean, got the string "yes"');
      expect(failure({ name: "boolean" }, "true")).toContain('"true"');
      expect(failure({ name: "boolean" }, 2)).toContain("number 2");
      expect(failure({ name: "boolean" }, null)).toContain("null");
    });
  });

  describe("double", () => {
    it("accepts numbers and rejects numeric strings", () => {
      expect(ok({ name: "double" }, 0.1)).toBe(0.1);
      expect(ok({ name: "double" }, 3)).toBe(3);
      expect(failure({ name: "double" }, "0.1")).toContain('"0.1"');
      // JSON.parse("1e999") is Infinity: MySQL has no such double.
      expect(failure({ name: "double" }, JSON.parse("1e999"))).toBe("expected a finite number, got Infinity");
    });
  });

  describe("decimal(5,2)", () => {
    const dec: ColumnType = { name: "decimal", precision: 5, scale: 2 };

    it("writes numbers at the scale, dropping only binary float noise", () => {
      expect(ok(dec, 12)).toBe("12.00");
      expect(ok(dec, 1.5)).toBe("1.50");
      expect(ok(dec, 999.99)).toBe("999.99");
      expect(ok(dec, -999.99)).toBe("-999.99");
      expect(ok(dec, 0.1 + 0.2)).toBe("0.30"); // 0.30000000000000004
      expect(ok(dec, 1.1 * 3)).toBe("3.30"); // 3.3000000000000003
      let sum = 0;
      for (let i = 0; i < 100; i++) sum += 0.3; // 30.00000000000005
      expect(ok(dec, sum)).toBe("30.00");
    });

    it("writes the number JSON gave, not its binary expansion, and large integers exactly", () => {
      expect(ok({ name: "decimal", precision: 30, scale: 20 }, 0.1)).toBe("0.10000000000000000000");
      expect(ok({ name: "decimal", precision: 65, scale: 0 }, 1e21)).toBe("1000000000000000000000");
      expect(failure({ name: "decimal", precision: 20, scale: 0 }, 1000000000000000.5)).toBe(
        "1000000000000000.5 has more than 0 decimal places",
      );
    });

    it("rejects numbers with more decimals than the scale (never rounded silently)", () => {
      expect(failure(dec, 1.234)).toBe("1.234 has more than 2 decimal places");
      expect(failure(dec, 1.005)).toBe("1.005 has more than 2 decimal places");
      expect(failure(dec, 12.345)).toBe("12.345 has more than 2 decimal places");
      expect(failure(dec, -0.001)).toBe("-0.001 has more than 2 decimal places");
      expect(failure(dec, 1.5e-7)).toBe("0.00000015 has more than 2 decimal places");
    });

    it("accepts numeric strings within precision and scale, written at the scale as MySQL stores them", () => {
      expect(ok(dec, "1.23")).toBe("1.23");
      expect(ok(dec, "999.99")).toBe("999.99");
      expect(ok(dec, "-0.5")).toBe("-0.50");
      expect(ok(dec, "7")).toBe("7.00");
    });

    it('gives one text per value, as keys must compare: 12.5, "12.5", "12.50" and "012.5" are 12.50', () => {
      for (const v of [12.5, "12.5", "12.50", "012.5", "0012.500".slice(0, 7)])
        expect(ok(dec, v)).toBe("12.50");
      for (const v of [0, -0, "0", "-0", "-0.00", "000"]) expect(ok(dec, v)).toBe("0.00");
      expect(ok({ name: "decimal", precision: 5, scale: 0 }, "-007")).toBe("-7");
    });

    it("rejects strings with more decimals than the scale (no silent rounding of exact text)", () => {
      expect(failure(dec, "1.234")).toBe("1.234 has more than 2 decimal places");
    });

    it("rejects values with too many integer digits, naming the value and the type", () => {
      expect(failure(dec, 1234.5)).toBe("1234.50 is out of range for decimal(5,2)");
      expect(failure(dec, "1000")).toContain("decimal(5,2)");
      expect(failure(dec, -1000)).toBe("-1000.00 is out of range for decimal(5,2)");
      expect(failure(dec, 1e21)).toContain("out of range");
    });

    it("rejects non-numbers", () => {
      for (const bad of ["abc", "1e3", ".5", "1.", "+1", "", true, null]) {
        expect(failure(dec, bad)).toContain("expected a decimal");
      }
    });
  });

  describe("json", () => {
    it("stringifies any JSON value", () => {
      expect(ok({ name: "json" }, { a: [1, 2], b: null })).toBe('{"a":[1,2],"b":null}');
      expect(ok({ name: "json" }, [])).toBe("[]");
      expect(ok({ name: "json" }, "x")).toBe('"x"');
      expect(ok({ name: "json" }, 1)).toBe("1");
      expect(ok({ name: "json" }, true)).toBe("true");
      expect(ok({ name: "json" }, { s: "\u0000" })).toBe('{"s":"\\u0000"}');
    });

    it(`accepts ${MAX_JSON_DEPTH} levels of nesting and rejects ${MAX_JSON_DEPTH + 1}`, () => {
      const nest = (levels: number): unknown => {
        let v: unknown = 1;
        for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { k: v };
        return v;
      };
      expect(MAX_JSON_DEPTH).toBe(32);
      expect(ok({ name: "json" }, nest(32))).toMatch(/^\[/);
      const message = failure({ name: "json" }, nest(33));
      expect(message).toContain("deeper than 32");
      // a deep branch next to a shallow one still counts
      expect(failure({ name: "json" }, { shallow: 1, deep: nest(32) })).toContain("32");
      // and inside arrays, after leaves and empty containers, at any position
      expect(failure({ name: "json" }, [1, "a", {}, [], null, nest(32)])).toContain("32");
      expect(ok({ name: "json" }, [1, "a", {}, [], null, nest(31)])).toMatch(/^\[1,/);
      // empty containers count as a level
      const around = (inner: unknown, levels: number): unknown => {
        let v = inner;
        for (let i = 0; i < levels; i++) v = [v];
        return v;
      };
      expect(ok({ name: "json" }, around({}, 31))).toMatch(/^\[/);
      expect(failure({ name: "json" }, around({}, 32))).toContain("32");
    });
  });

  describe("enum", () => {
    const action: ColumnType = { name: "enum", values: ["joined", "left"] };

    it("accepts listed values exactly", () => {
      expect(ok(action, "joined")).toBe("joined");
      expect(ok(action, "left")).toBe("left");
    });

    it("rejects other values, naming the value and the allowed ones", () => {
      expect(failure(action, "banned")).toBe('the string "banned" is not one of joined, left');
      expect(failure(action, "JOINED")).toContain('"JOINED"');
      expect(failure(action, 1)).toContain("number 1");
    });
  });

  describe("date", () => {
    it("accepts valid YYYY-MM-DD dates only", () => {
      expect(ok({ name: "date" }, "2024-02-29")).toBe("2024-02-29");
      expect(failure({ name: "date" }, "2025-02-29")).toContain('"2025-02-29"');
      expect(failure({ name: "date" }, "2025-1-1")).toContain("YYYY-MM-DD");
      expect(failure({ name: "date" }, "2025-01-15T00:00:00Z")).toContain("YYYY-MM-DD");
      expect(failure({ name: "date" }, 20250101)).toContain("number 20250101");
    });
  });

  describe("datetime", () => {
    it("parses ISO strings with the column's precision", () => {
      expect(ok({ name: "datetime", fsp: 6 }, "2025-01-15T11:00:00+01:00")).toBe(
        "2025-01-15 10:00:00.000000",
      );
      expect(ok({ name: "datetime", fsp: 0 }, "2025-01-15T10:30:00.9Z")).toBe("2025-01-15 10:30:00");
    });

    it("rejects epoch numbers and other non-strings", () => {
      expect(failure({ name: "datetime", fsp: 6 }, 1736937000)).toBe(
        "expected an ISO-8601 timestamp, got number 1736937000",
      );
      expect(failure({ name: "datetime", fsp: 6 }, { $date: "x" })).toContain("an object");
    });
  });
});

describe("parseIsoDatetime's fast path", () => {
  it("answers as the general parser on timestamps of the common shape, valid or not", () => {
    // A seeded generator: the same cases every run.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed >>> 12) % n;
    };
    const pad = (v: number, w: number) => String(v).padStart(w, "0");
    let checked = 0;
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const y = [999, 1000, 1970, 2000, 2024, 2025, 2100, 9999][rnd(8)]!;
      const text =
        `${pad(y, 4)}-${pad(rnd(14), 2)}-${pad(rnd(33), 2)}${["T", " ", "t"][rnd(3)]}` +
        `${pad(rnd(26), 2)}:${pad(rnd(62), 2)}:${pad(rnd(62), 2)}` +
        ["", `.${"1234567890".slice(0, rnd(11))}`, `,${"98765".slice(0, rnd(6))}`][rnd(3)] +
        ["", "Z", "z", "+01:00", "-0530", "+00"][rnd(6)];
      const fsp = rnd(7);
      expect(parseIsoDatetime(text, fsp), `${text} fsp ${fsp}`).toEqual(parseIsoGeneral(text, fsp));
      checked++;
      if (!(parseIsoGeneral(text, fsp) instanceof CoerceFailure)) valid++;
    }
    expect(checked).toBe(20_000);
    expect(valid).toBeGreaterThan(2_000); // enough of them valid to cover the conversions
  });
});
