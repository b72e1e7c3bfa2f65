import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The layering rules of `npm run check` (.dependency-cruiser.cjs, scripts/check-sql.mjs): they pass
 * on the tree as it is, and fail on a copy of it broken in each way they forbid.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const depcruise = join(root, "node_modules", ".bin", "depcruise");

function cruise(cwd: string) {
  return spawnSync(depcruise, ["src", "tools", "--config", join(root, ".dependency-cruiser.cjs")], {
    cwd,
    encoding: "utf8",
  });
}
function sqlCheck(cwd: string) {
  return spawnSync(process.execPath, [join(root, "scripts", "check-sql.mjs"), cwd], { encoding: "utf8" });
}

const broken = mkdtempSync(join(tmpdir(), "pj-layering-"));
afterAll(() => rmSync(broken, { recursive: true, force: true }));

describe("layering check", () => {
  it("passes on the tree as it is", () => {
    const r = cruise(root);
    expect(r.stdout + r.stderr).toContain("no dependency violations found");
    expect(r.status).toBe(0);
    expect(sqlCheck(root).status).toBe(0);
  });

  it("fails on an upward import, mysql2 or kafkajs out of their edges, a cycle, SQL out of its home", () => {
    for (const d of ["src", "tools"]) cpSync(join(root, d), join(broken, d), { recursive: true });
    symlinkSync(join(root, "node_modules"), join(broken, "node_modules"));
    writeFileSync(join(broken, "package.json"), '{"type":"module"}');
    appendFileSync(join(broken, "src/specs/types.ts"), '\nimport "../compile/sql.js";\n');
    appendFileSync(join(broken, "src/values/coerce.ts"), '\nimport "../compile/sql.js";\n');
    appendFileSync(join(broken, "src/store/offsets.ts"), '\nimport "../run/ports.js";\n');
    appendFileSync(join(broken, "src/run/ports.ts"), '\nimport "mysql2/promise";\nimport "kafkajs";\n');
    appendFileSync(join(broken, "src/sink/mysql-url.ts"), '\nimport "../run/stats.js";\n');
    appendFileSync(join(broken, "src/cli/commands/ddl.ts"), '\nimport "../../sink/mysql-url.js";\n');
    appendFileSync(join(broken, "src/cli/commands/emit.ts"), '\nimport "./ddl.js";\n');
    appendFileSync(join(broken, "src/jobs/job.ts"), '\nimport "../cli/errors.js";\n');
    writeFileSync(join(broken, "src/compile/a.ts"), 'import "./b.js";\nexport const a = 1;\n');
    writeFileSync(join(broken, "src/compile/b.ts"), 'import "./a.js";\nexport const b = 1;\n');
    writeFileSync(join(broken, "src/run/raw.ts"), 'export const q = "SELECT n FROM t";\n');
    const r = cruise(broken);
    expect(r.status).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain("specs-imports-downward: src/specs/types.ts → src/compile/sql.ts");
    expect(out).toContain("values-imports-downward: src/values/coerce.ts → src/compile/sql.ts");
    expect(out).toContain("store-imports-downward: src/store/offsets.ts → src/run/ports.ts");
    expect(out).toContain("sink-imports-downward: src/sink/mysql-url.ts → src/run/stats.ts");
    expect(out).toContain("the-cli-goes-through-jobs: src/cli/commands/ddl.ts → src/sink/mysql-url.ts");
    expect(out).toContain(
      "commands-do-not-import-commands: src/cli/commands/emit.ts → src/cli/commands/ddl.ts",
    );
    expect(out).toContain("jobs-imports-downward: src/jobs/job.ts → src/cli/errors.ts");
    expect(out).toContain("only-the-sink-imports-mysql2: src/run/ports.ts");
    expect(out).toContain("only-the-kafka-edges-import-kafkajs: src/run/ports.ts");
    expect(out).toMatch(/no-circular-imports: src\/compile\/[ab]\.ts → /);
    const sql = sqlCheck(broken);
    expect(sql.status).toBe(1);
    expect(sql.stderr).toContain("src/run/raw.ts:1:");
  });
});
