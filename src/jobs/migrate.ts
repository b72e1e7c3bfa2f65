import type { CompiledSpec } from "../compile/compile.js";
import { createDatabaseSql, useDatabaseSql } from "../compile/ddl.js";
import { diffSchema } from "../compile/migration.js";
import { isMissingDatabase, MysqlSink } from "../sink/mysql-sink.js";
import { parseMysqlUrl } from "../sink/mysql-url.js";
import { migrate, openSink, planSchema } from "./database.js";
import { recordVersions, type TableState, tableStates } from "./versions.js";

/** What migrate reports as it goes (the CLI prints it). */
export interface MigrateReport {
  /** A statement run, or one a dry run would run. */
  statement(sql: string): void;
  /** What the database holds that the specs do not say (its own tables and columns). */
  warning(text: string): void;
  note(text: string): void;
  /** Tables whose rows follow older specs: migrate cannot fill them in, a rebuild does. */
  drift(states: readonly TableState[]): void;
}

export type MigrateOutcome =
  /** A dry run on a server without the database: everything, from CREATE DATABASE on, would run. */
  | { readonly kind: "no-database"; readonly database: string; readonly statements: number }
  | { readonly kind: "up-to-date"; readonly database: string; readonly tables: number }
  | { readonly kind: "dry-run"; readonly database: string; readonly statements: number }
  | { readonly kind: "migrated"; readonly database: string; readonly statements: number };

/**
 * Migrate: creates what the database lacks of the specs (the database too, unless a dry run), one
 * statement at a time, then records the versions of new tables and of those it made right. A
 * second run does nothing.
 */
export async function migrateJob(
  compiled: CompiledSpec,
  job: { mysqlUrl: string; dryRun: boolean },
  report: MigrateReport,
): Promise<MigrateOutcome> {
  let sink: MysqlSink;
  try {
    sink = await openSink(job.mysqlUrl, { createDatabase: !job.dryRun });
  } catch (e) {
    if (!isMissingDatabase(e)) throw e;
    // A dry run creates nothing, not even the database: show what the real run would do.
    const { database } = parseMysqlUrl(job.mysqlUrl);
    const server = new MysqlSink(job.mysqlUrl, { createDatabase: false });
    const version = await server.serverVersion().finally(() => server.close());
    const empty = diffSchema({ catalog: [[{ v: version }], [], [], []], meta: new Map() }, compiled);
    const statements = [
      createDatabaseSql(database),
      useDatabaseSql(database), // the output can be piped into a client
      ...empty.statements,
    ];
    for (const sql of statements) report.statement(sql);
    return { kind: "no-database", database, statements: statements.length };
  }
  try {
    const migration = await planSchema(sink, compiled);
    for (const w of migration.warnings) report.warning(w);
    for (const n of migration.notes) report.note(n);
    const drift = async () => {
      // Versions: new tables and those migrate made right are recorded; the others need a rebuild.
      const states = job.dryRun
        ? await tableStates(sink, compiled.spec)
        : await recordVersions(sink, compiled.spec);
      report.drift(states.filter((s) => s.state === "rebuild"));
    };
    const database = sink.database;
    if (migration.statements.length === 0) {
      await drift();
      return { kind: "up-to-date", database, tables: compiled.tables.length };
    }
    if (job.dryRun) {
      await drift();
      for (const sql of migration.statements) report.statement(sql);
      return { kind: "dry-run", database, statements: migration.statements.length };
    }
    await migrate(sink, migration, report.statement);
    await drift();
    return { kind: "migrated", database, statements: migration.statements.length };
  } finally {
    await sink.close();
  }
}
