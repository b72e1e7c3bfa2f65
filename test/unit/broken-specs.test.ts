import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatIssue, type SpecIssue } from "../../src/specs/issues.js";
import { loadSpecDir } from "../helpers/specs.js";

/**
 * The broken-spec corpus: every folder under test/fixtures/broken-specs is a complete projections
 * folder with exactly one defect, and `expected.txt` holds the first issue line(s) that
 * `projector validate --projections <folder>` prints when run from the repository root.
 */
const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const corpus = "test/fixtures/broken-specs";
const cases = readdirSync(join(root, corpus), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function expectedLines(name: string): string[] {
  return readFileSync(join(root, corpus, name, "expected.txt"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
}

/** Issues as the CLI prints them from the repository root, whatever the test runner's cwd. */
function formatted(issues: readonly SpecIssue[]): string[] {
  return issues.map((i) => formatIssue({ ...i, file: relative(root, resolve(i.file)) }));
}

function load(name: string) {
  return loadSpecDir(relative(process.cwd(), join(root, corpus, name)));
}

describe("broken-spec corpus", () => {
  it("has at least 24 cases, each a projections folder with one or two files and an expected.txt", () => {
    expect(cases.length).toBeGreaterThanOrEqual(24);
    for (const name of cases) {
      const files = readdirSync(join(root, corpus, name));
      const yaml = files.filter((f) => /\.ya?ml$/.test(f));
      expect(yaml.length, name).toBeGreaterThanOrEqual(1);
      expect(yaml.length, name).toBeLessThanOrEqual(2);
      expect(files, name).toContain("expected.txt");
      expect(expectedLines(name).length, name).toBeGreaterThanOrEqual(1);
    }
  });

  describe.each(cases)("%s", (name) => {
    const { issues } = load(name);
    const lines = formatted(issues);
    const expected = expectedLines(name);

    it("is reported with the expected file:line:col: message (hint), first", () => {
      expect(issues.length).toBeGreaterThanOrEqual(1);
      for (const line of expected) expect(lines).toContain(line);
      expect(lines[0]).toBe(expected[0]);
    });

    it("points into the case's own files, at a real line and column", () => {
      for (const i of issues) {
        const file = relative(root, resolve(i.file));
        expect(file.startsWith(`${corpus}/${name}/`), file).toBe(true);
        const text = readFileSync(resolve(i.file), "utf8").split("\n");
        expect(i.line).toBeGreaterThanOrEqual(1);
        expect(i.line).toBeLessThanOrEqual(text.length);
        expect(i.col).toBeGreaterThanOrEqual(1);
        expect(i.col).toBeLessThanOrEqual((text[i.line - 1]?.length ?? 0) + 1);
      }
    });

    it("says how to fix every issue", () => {
      for (const i of issues) expect(i.hint?.trim(), formatIssue(i)).toBeTruthy();
    });
  });
});

describe("projector validate (built CLI)", () => {
  const bin = join(root, "bin/projector.js");
  const built = existsSync(join(root, "dist/src/cli/main.js"));
  const validate = (dir: string) =>
    spawnSync(process.execPath, [bin, "validate", "--projections", dir], { cwd: root, encoding: "utf8" });

  it("is built (npm test runs npm run build first)", () => {
    expect(built, "run npm run build before this test").toBe(true);
  });

  it
    .skipIf(!built)
    .each(["unknown-column-in-upsert", "bad-yaml-unclosed-flow-map", "table-declared-in-two-files"])(
    "exits 1 on %s and prints the expected line on stderr",
    (name) => {
      const r = validate(`${corpus}/${name}`);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      const stderr = r.stderr.split("\n");
      expect(stderr[0]).toBe(expectedLines(name)[0]);
      for (const line of expectedLines(name)) expect(stderr).toContain(line);
    },
  );

  it.skipIf(!built)("exits 0 on the shipped projections", () => {
    const r = validate("projections");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok: /);
  });
});
