import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MysqlSink } from "../../src/sink/mysql-sink.js";
import { projector } from "../helpers/kafka/processes.js";
import { testScope } from "../helpers/kafka/scope.js";
import { streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";

const scope = testScope();

/**
 * The sum of performance_schema's warnings for a database's statements, where the server keeps
 * them (MySQL 8 does by default; MariaDB only with performance_schema on): an account the sink's
 * own count cannot fake. Undefined where there is no such table.
 */
async function digestWarnings(
  db: { rows: <T>(sql: string, params?: unknown[]) => Promise<T[]> },
  name: string,
) {
  const [on] = await db.rows<{ on: number }>("SELECT @@performance_schema AS `on`");
  if (!Number(on?.on)) return undefined;
  const [r] = await db.rows<{ w: string | number | null }>(
    "SELECT SUM(SUM_WARNINGS) AS w FROM performance_schema.events_statements_summary_by_digest WHERE SCHEMA_NAME = ?",
    [name],
  );
  return Number(r?.w ?? 0);
}

describe("zero warnings: every statement runs on the server as written", () => {
  it("the sink counts a warning the server raises (the check below can fail)", async () => {
    const db = await scope.db();
    const sink = new MysqlSink(db.url);
    try {
      await sink.connection();
      expect(sink.warnings).toBe(0);
      // Truncating '1x' to an integer warns (1292) on MariaDB and MySQL alike.
      await sink.query("DO CAST('1x' AS SIGNED)");
      expect(sink.warnings).toBe(1);
      await sink.transaction((tx) =>
        tx.execute([{ sql: "DO CAST('2y' AS SIGNED), CAST('3z' AS SIGNED)", params: [] }]),
      );
      expect(sink.warnings).toBe(3);
    } finally {
      await sink.close();
    }
  });

  it("a full replay of the generated stream raises none (migrate, rows, letters, offsets)", async () => {
    // The generated stream, and lines that become dead letters (a letter's insert is a write too).
    const file = join(mkdtempSync(join(tmpdir(), "pj-warn-")), "stream.jsonl");
    writeFileSync(file, `${readFileSync(await streamFile(3000, 25), "utf8")}{"not json\n[1,2]\n`);
    const db = await scope.db();
    const r = await projector(["replay", file, "--json"], { MYSQL_URL: db.url });
    expect(r.status, r.stderr).toBe(0);
    const s = summaryOf(r);
    expect(s.applied).toBeGreaterThan(2000);
    expect(s.dead_lettered).toBe(2);
    expect(s.mysql_warnings).toBe(0);
    expect(r.stderr).not.toMatch(/raised warnings/);
    const fromServer = await digestWarnings(db, db.name);
    if (fromServer !== undefined) expect(fromServer).toBe(0);
  });

  it("a Kafka run of it raises none (offsets, counters, the generation's shared lock)", async () => {
    const file = await streamFile(3000, 25);
    const { db, env } = await scope.kafka(3);
    const emitted = await projector(["emit", file], env);
    expect(emitted.status, emitted.stderr).toBe(0);
    const r = await projector(["run", "--until-caught-up", "--json"], env);
    expect(r.status, r.stderr).toBe(0);
    const s = summaryOf(r);
    expect(s.read).toBeGreaterThan(3000);
    expect(s.mysql_warnings).toBe(0);
    expect(r.stderr).not.toMatch(/raised warnings/);
    const fromServer = await digestWarnings(db, db.name);
    if (fromServer !== undefined) expect(fromServer).toBe(0);
  });
});
