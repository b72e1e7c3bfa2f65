import { createDatabaseSql, useDatabaseSql } from "../../compile/ddl.js";
import { diffSchema } from "../../compile/migration.js";
import { forTerminal } from "../../core/terminal.js";
import { migrate, mysqlUrl, openSink, planSchema } from "../../jobs/database.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { recordVersions, tableStates } from "../../jobs/versions.js";
import { isMissingDatabase, MysqlSink } from "../../sink/mysql-sink.js";
import { parseMysqlUrl } from "../../sink/mysql-url.js";

/** `projector migrate [--dry-run]`: prints every statement it runs (or would run); a second run does nothing. */
export async function migrateCommand(
  dir: string,
  opts: { dryRun?: boolean; mysqlUrl?: string },
): Promise<number> {
  const compiled = loadCompiled(dir);
  const url = mysqlUrl(opts.mysqlUrl);
  let sink: MysqlSink;
  try {
    sink = await openSink(url, { createDatabase: !opts.dryRun });
  } catch (e) {
    if (!isMissingDatabase(e)) throw e;
    // A dry run creates nothing, not even the database: show what the real run would do.
    const { database } = parseMysqlUrl(url);
    const server = new MysqlSink(url, { createDatabase: false });
    const version = await server.serverVersion().finally(() => server.close());
    const empty = diffSchema({ catalog: [[{ v: version }], [], [], []], meta: new Map() }, compiled);
    const statements = [
      createDatabaseSql(database),
      useDatabaseSql(database), // the output can be piped into a client
      ...empty.statements,
    ];
    for (const sql of statements) process.stdout.write(`${sql};\n`);
    process.stdout.write(
      `-- dry run: ${statements.length} statement(s) not executed (${database} does not exist)\n`,
    );
    return 0;
  }
  try {
    const migration = await planSchema(sink, compiled);
    // They name the database's own tables and columns, which projector did not necessarily create.
    for (const w of migration.warnings) process.stderr.write(`warning: ${forTerminal(w)}\n`);
    for (const n of migration.notes) process.stderr.write(`note: ${forTerminal(n)}\n`);
    const drift = async () => {
      // Versions: new tables and those migrate made right are recorded; the others need a rebuild.
      const states = opts.dryRun
        ? await tableStates(sink, compiled.spec)
        : await recordVersions(sink, compiled.spec);
      const stale = states.filter((s) => s.state === "rebuild");
      for (const s of stale)
        process.stderr.write(
          `note: the rows of ${s.table} follow older specs (${s.reasons.join("; ")}): migrate cannot fill them in, projector rebuild ${s.table} does\n`,
        );
    };
    if (migration.statements.length === 0) {
      await drift();
      process.stdout.write(`-- ${sink.database} is up to date (${compiled.tables.length} tables)\n`);
      return 0;
    }
    if (opts.dryRun) {
      await drift();
      for (const sql of migration.statements) process.stdout.write(`${sql};\n`);
      process.stdout.write(`-- dry run: ${migration.statements.length} statement(s) not executed\n`);
      return 0;
    }
    await migrate(sink, migration, (sql) => process.stdout.write(`${sql};\n`));
    await drift();
    process.stdout.write(`-- ${migration.statements.length} statement(s) executed on ${sink.database}\n`);
    return 0;
  } finally {
    await sink.close();
  }
}
