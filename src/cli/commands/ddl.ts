import { describeAction } from "../../compile/statements.js";
import { loadCompiled } from "../load-specs.js";

/** `projector ddl`: CREATE TABLE statements, parents before children; with --statements, every compiled statement too. */
export function ddlCommand(dir: string, opts: { statements?: boolean }): number {
  const compiled = loadCompiled(dir);
  const out: string[] = compiled.tables.map((t) => `${t.ddl};\n`);
  if (opts.statements) {
    for (const [eventType, actions] of compiled.events) {
      out.push(`-- ${eventType}`);
      for (const a of actions) for (const sql of describeAction(a)) out.push(`${sql};`);
      out.push("");
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
