import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { dialectOf, keyCollation } from "../../src/compile/ddl.js";
import { addCountersStatement } from "../../src/store/counters.js";
import { saveFingerprintsStatement } from "../../src/store/fingerprints.js";
import { lockGenerationStatement } from "../../src/store/meta.js";
import { saveOffsetsStatement, skipOffsetStatement } from "../../src/store/offsets.js";
import { saveRebuildStatement } from "../../src/store/rebuilds.js";
import { tombstonesStatement } from "../../src/store/tombstones.js";
import { loadSpecDirOrThrow } from "../helpers/specs.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const spec = loadSpecDirOrThrow(join(root, "projections"));

describe("the key collation follows the server", () => {
  it("is binary and NO PAD on both: MariaDB utf8mb4_nopad_bin, MySQL 8 utf8mb4_0900_bin", () => {
    expect(keyCollation("mariadb")).toBe("utf8mb4_nopad_bin");
    expect(keyCollation("mysql")).toBe("utf8mb4_0900_bin");
  });

  it("reads the dialect from SELECT VERSION()", () => {
    expect(dialectOf("10.11.19-MariaDB-0+deb12u1")).toBe("mariadb");
    expect(dialectOf("11.4.5-MariaDB")).toBe("mariadb");
    expect(dialectOf("8.0.40")).toBe("mysql");
    expect(dialectOf("8.4.3-commercial")).toBe("mysql");
  });

  it("writes every key column of the DDL in the dialect's collation, and no other column", () => {
    for (const dialect of ["mariadb", "mysql"] as const) {
      const ddl = compile(spec, dialect)
        .tables.map((t) => t.ddl)
        .join("\n");
      const other = keyCollation(dialect === "mysql" ? "mariadb" : "mysql");
      expect(ddl).toContain(`\`order_number\` VARCHAR(50) COLLATE ${keyCollation(dialect)} NOT NULL`);
      expect(ddl).not.toContain(other);
      expect(ddl).not.toContain("utf8mb4_bin");
      expect(ddl).toContain("`display_name` VARCHAR(100) NOT NULL,"); // not a key: the table's collation
    }
  });

  const ddl = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, "bin/projector.js"), "ddl", ...args], {
      cwd: root,
      encoding: "utf8",
    });

  it("projector ddl says which dialect it wrote; --dialect picks one", () => {
    const maria = ddl();
    expect(maria.status).toBe(0);
    expect(maria.stdout.split("\n")[0]).toBe(
      "-- dialect mariadb: key columns compare exactly (utf8mb4_nopad_bin); --dialect mysql writes utf8mb4_0900_bin",
    );
    const mysql = ddl("--dialect", "mysql");
    expect(mysql.status).toBe(0);
    expect(mysql.stdout).toContain("COLLATE utf8mb4_0900_bin NOT NULL");
    expect(mysql.stdout).not.toContain("utf8mb4_nopad_bin NOT NULL");
    const bad = ddl("--dialect", "postgres");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("--dialect must be one of mariadb, mysql");
  });

  it("ddl --statements --dialect mysql prints MySQL's forms: the row alias, no VALUES()", () => {
    const mysql = ddl("--statements", "--dialect", "mysql");
    expect(mysql.status, mysql.stderr).toBe(0);
    expect(mysql.stdout).toContain("AS `projector_new` ON DUPLICATE KEY UPDATE");
    expect(mysql.stdout).not.toMatch(/VALUES\(`/);
    const maria = ddl("--statements");
    expect(maria.status, maria.stderr).toBe(0);
    expect(maria.stdout).toMatch(/ON DUPLICATE KEY UPDATE .*VALUES\(`/);
    expect(maria.stdout).not.toContain("projector_new");
  });
});

describe("statement forms follow the dialect", () => {
  const all = (d: "mariadb" | "mysql") => [
    saveOffsetsStatement([{ group: "g", topic: "t", partition: 0, next: "1" }], d).sql,
    skipOffsetStatement("g", "t", 0, 1n, 2n, d).sql,
    tombstonesStatement([[Buffer.alloc(1), "t", "[]", "1"]], d).sql,
    addCountersStatement([["s", "e", "applied", 1]], d).sql,
    saveFingerprintsStatement([{ table: "t", fingerprint: "f", json: "{}" }], d).sql,
    saveRebuildStatement(
      { name: "r", tables: ["t"], fingerprint: "f", group: "g", phase: "p", applied: 0, behind: null },
      d,
    ).sql,
    lockGenerationStatement("shared", d).sql,
  ];

  it("MariaDB: VALUES() and LOCK IN SHARE MODE (it has no row alias and refuses FOR SHARE)", () => {
    const sql = all("mariadb");
    for (const s of sql.slice(0, 6)) expect(s).toMatch(/ON DUPLICATE KEY UPDATE .*VALUES\(/s);
    expect(sql.join("\n")).not.toContain("projector_new");
    expect(sql[6]).toMatch(/LOCK IN SHARE MODE$/);
  });

  it("MySQL: the row alias, the row's own columns qualified (unqualified ones are ambiguous), FOR SHARE", () => {
    const sql = all("mysql");
    for (const s of sql.slice(0, 6)) {
      expect(s).toContain(" AS `projector_new` ON DUPLICATE KEY UPDATE ");
      expect(s).not.toMatch(/VALUES\(/);
    }
    expect(sql[0]).toContain("GREATEST(`projector_offsets`.next_offset, `projector_new`.next_offset)");
    expect(sql[3]).toContain("events = `projector_counters`.events + `projector_new`.events");
    expect(sql[6]).toMatch(/FOR SHARE$/);
  });
});
