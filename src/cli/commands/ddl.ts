import { DIALECTS, type Dialect, keyCollation } from "../../compile/ddl.js";
import { describeAction } from "../../compile/statements.js";
import { UserError } from "../../core/user-error.js";
import { loadCompiled } from "../../jobs/load-specs.js";

/**
 * `projector ddl [--dialect mariadb|mysql]`: CREATE TABLE statements, parents before children, for
 * the server the dialect names (key collations differ); with --statements, every compiled statement.
 */
export function ddlCommand(dir: string, opts: { statements?: boolean; dialect?: string }): number {
  const dialect = (opts.dialect ?? "mariadb") as Dialect;
  if (!DIALECTS.includes(dialect))
    throw new UserError(
      `--dialect must be one of ${DIALECTS.join(", ")}, got ${JSON.stringify(opts.dialect)}`,
    );
  const compiled = loadCompiled(dir, dialect);
  const other = DIALECTS.find((d) => d !== dialect)!;
  const out: string[] = [
    `-- dialect ${dialect}: key columns compare exactly (${keyCollation(dialect)}); --dialect ${other} writes ${keyCollation(other)}`,
    ...compiled.tables.map((t) => `${t.ddl};\n`),
  ];
  if (opts.statements) {
    for (const [eventType, actions] of compiled.events) {
      out.push(`-- ${eventType}`);
      for (const a of actions) for (const sql of describeAction(a, dialect)) out.push(`${sql};`);
      out.push("");
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
