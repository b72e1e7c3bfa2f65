import { forTerminal } from "../../core/terminal.js";
import { mysqlUrl } from "../../jobs/database.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { migrateJob } from "../../jobs/migrate.js";

/** `projector migrate [--dry-run]`: prints every statement it runs (or would run); a second run does nothing. */
export async function migrateCommand(
  dir: string,
  opts: { dryRun?: boolean; mysqlUrl?: string },
): Promise<number> {
  const compiled = loadCompiled(dir);
  const outcome = await migrateJob(
    compiled,
    { mysqlUrl: mysqlUrl(opts.mysqlUrl), dryRun: opts.dryRun ?? false },
    {
      statement: (sql) => process.stdout.write(`${sql};\n`),
      // They name the database's own tables and columns, which projector did not necessarily create.
      warning: (w) => process.stderr.write(`warning: ${forTerminal(w)}\n`),
      note: (n) => process.stderr.write(`note: ${forTerminal(n)}\n`),
      drift: (states) => {
        for (const s of states)
          process.stderr.write(
            `note: the rows of ${s.table} follow older specs (${s.reasons.join("; ")}): migrate cannot fill them in, projector rebuild ${s.table} does\n`,
          );
      },
    },
  );
  const line =
    outcome.kind === "no-database"
      ? `dry run: ${outcome.statements} statement(s) not executed (${outcome.database} does not exist)`
      : outcome.kind === "up-to-date"
        ? `${outcome.database} is up to date (${outcome.tables} tables)`
        : outcome.kind === "dry-run"
          ? `dry run: ${outcome.statements} statement(s) not executed`
          : `${outcome.statements} statement(s) executed on ${outcome.database}`;
  process.stdout.write(`-- ${line}\n`);
  return 0;
}
