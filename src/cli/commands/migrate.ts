import { applyMigration, planMigration } from "../../sink/migrate.js";
import { loadPlan } from "../load-plan.js";
import { mysqlUrl, openSink } from "../mysql.js";

/** `projector migrate [--dry-run]`: prints every statement it runs (or would run); a second run does nothing. */
export async function migrateCommand(
  dir: string,
  opts: { dryRun?: boolean; mysqlUrl?: string },
): Promise<number> {
  const plan = loadPlan(dir);
  const sink = await openSink(mysqlUrl(opts.mysqlUrl));
  try {
    const migration = await planMigration(sink, plan);
    for (const w of migration.warnings) process.stderr.write(`warning: ${w}\n`);
    if (migration.statements.length === 0) {
      process.stdout.write(`-- ${sink.database} is up to date (${plan.tables.length} tables)\n`);
      return 0;
    }
    if (opts.dryRun) {
      for (const sql of migration.statements) process.stdout.write(`${sql};\n`);
      process.stdout.write(`-- dry run: ${migration.statements.length} statement(s) not executed\n`);
      return 0;
    }
    await applyMigration(sink, migration, (sql) => process.stdout.write(`${sql};\n`));
    process.stdout.write(`-- ${migration.statements.length} statement(s) executed on ${sink.database}\n`);
    return 0;
  } finally {
    await sink.close();
  }
}
