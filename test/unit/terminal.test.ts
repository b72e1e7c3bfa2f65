import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tableWidth } from "../../src/cli/commands/dead-letters.js";
import { forTerminal, jsonText } from "../../src/core/terminal.js";
import { cli } from "../helpers/cli.js";

/** Any control character a terminal acts on, newlines and tabs aside. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("forTerminal", () => {
  it("escapes C0, DEL, C1 and bidi controls; leaves other text alone (the same string)", () => {
    expect(forTerminal("\u001b]0;owned\u0007\u001b[2J\r\u007f\u009b1m\u202e")).toBe(
      "\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x7f\\x9b1m\\u202e",
    );
    const plain = "orders.total ← $.data.x: 12 is out of range — “ok” 😀";
    expect(forTerminal(plain)).toBe(plain);
  });

  it("keeps newlines and tabs only where the output is multi-line by design", () => {
    expect(forTerminal("a\nb\tc\r")).toBe("a\\x0ab\\x09c\\x0d");
    expect(forTerminal("a\nb\tc\r", true)).toBe("a\nb\tc\\x0d");
  });
});

describe("jsonText", () => {
  it("is exact JSON (parses back to the same value) with nothing raw a terminal acts on", () => {
    const value = { t: "\u001b[2J\u007f\u0085\u009b\u202e\u2066x", n: [1, null, "\n"] };
    const text = jsonText(value);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain("\\u009b");
    expect(jsonText({ a: "plain" })).toBe(JSON.stringify({ a: "plain" }));
  });
});

describe("dead-letters list's width", () => {
  it("cuts to the terminal's columns (at least 40); a terminal of 0 columns, or a pipe, cuts nothing", () => {
    expect(tableWidth({ isTTY: true, columns: 120 })).toBe(120);
    expect(tableWidth({ isTTY: true, columns: 10 })).toBe(40);
    expect(tableWidth({ isTTY: true, columns: 0 })).toBe(Number.POSITIVE_INFINITY);
    expect(tableWidth({ isTTY: true })).toBe(Number.POSITIVE_INFINITY);
    expect(tableWidth({ isTTY: false, columns: 80 })).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("validate and test print no raw control character from specs or file names", () => {
  const dir = mkdtempSync(join(tmpdir(), "projector-terminal-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // A file name and spec text that would set the window title, clear the screen and rewrite a line.
  const hostile = "\u001b]0;owned\u0007\u001b[2J\r\u009b31m";

  it("validate: a hostile file name and a hostile path in it", () => {
    const specs = join(dir, "validate");
    mkdirSync(specs);
    writeFileSync(
      join(specs, `shop${hostile}.yaml`),
      `tables:\n  t:\n    primary_key: [id]\n    columns:\n      id: { type: varchar(10) }\n      v: { type: int, nullable: true }\nevents:\n  t.e:\n    - upsert: t\n      columns: { id: $.entity_id, v: "$.data['\\e[2J\\x9b']x" }\n`,
    );
    const r = cli(["validate", "--projections", specs], { LOG_FORMAT: "text" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x9b31m.yaml:10:");
    expect(r.stderr + r.stdout).not.toMatch(RAW_CONTROL);
    // The same through `test`, which loads the specs first (a SpecError).
    const t = cli(["test", "--projections", specs]);
    expect(t.status).toBe(1);
    expect(t.stderr).toContain("\\x1b]0;owned");
    expect(t.stderr + t.stdout).not.toMatch(RAW_CONTROL);
  });

  it("test: hostile example names and values in the failures", () => {
    const specs = join(dir, "test");
    mkdirSync(specs);
    writeFileSync(
      join(specs, "t.yaml"),
      `tables:\n  t:\n    primary_key: [id]\n    columns:\n      id: { type: varchar(50) }\n      v: { type: varchar(50), nullable: true }\nevents:\n  t.e:\n    - upsert: t\n      columns: { id: $.entity_id, v: $.data.v }\nexamples:\n  - name: "ok \\e]0;owned\\a"\n    event: { event_type: t.e, event_id: e1, timestamp: "2025-01-01T00:00:00Z", entity_id: "a\\e[2J", data: { v: "x\\x9b" } }\n    expect:\n      - upsert: t\n        row: { id: "a\\e[2J", v: "x\\x9b" }\n  - name: "fails \\e[2J\\r"\n    event: { event_type: t.e, event_id: e2, timestamp: "2025-01-01T00:00:00Z", entity_id: "b\\x7f", data: { v: "\\e[31mred" } }\n    expect:\n      - upsert: t\n        row: { id: "b\\x7f", v: "blue" }\n`,
    );
    const r = cli(["test", "--projections", specs]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain("ok   ok \\x1b]0;owned\\x07\n");
    expect(r.stdout).toContain("FAIL fails \\x1b[2J\\x0d\n");
    expect(r.stdout).toContain(`column v is "\\u001b[31mred", expected "blue"`);
    expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
  });
});
