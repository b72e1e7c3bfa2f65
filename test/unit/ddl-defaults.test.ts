import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { formatIssue } from "../../src/specs/issues.js";
import { loadSpecDir } from "../helpers/specs.js";

describe("DDL defaults", () => {
  it("are written as MySQL stores them, with the spec's comments (an ISO timestamp with an offset becomes UTC)", () => {
    const { spec, issues } = loadSpecDir(fileURLToPath(new URL("../fixtures/defaults", import.meta.url)));
    expect(issues.map(formatIssue)).toEqual([]);
    const ddl = compile(spec).tableByName.get("things")!.ddl;
    expect(ddl).toContain("`since` DATETIME(6) NOT NULL DEFAULT '2024-12-31 23:30:00.000000'");
    expect(ddl).toContain("`day` DATE NOT NULL DEFAULT '2025-02-03'");
    expect(ddl).toContain("`price` DECIMAL(8,2) NOT NULL DEFAULT '5.00'");
    expect(ddl).toContain("`active` BOOLEAN NOT NULL DEFAULT 1");
    expect(ddl).toContain("`label` VARCHAR(10) NOT NULL DEFAULT 'it''s' COMMENT 'what it''s called'");
    expect(ddl).toMatch(/COLLATE=utf8mb4_unicode_ci COMMENT='Things, one row per thing'$/);
  });
});
