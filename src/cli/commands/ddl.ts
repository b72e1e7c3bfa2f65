import { describeAction } from "../../compile/statements.js";
import { loadPlan } from "../load-plan.js";

/** `projector ddl`: CREATE TABLE statements, parents before children; with --statements, every compiled statement too. */
export function ddlCommand(dir: string, opts: { statements?: boolean }): number {
  const plan = loadPlan(dir);
  const out: string[] = plan.tables.map((t) => `${t.ddl};\n`);
  if (opts.statements) {
    for (const [eventType, actions] of plan.events) {
      out.push(`-- ${eventType}`);
      for (const a of actions) for (const sql of describeAction(a)) out.push(`${sql};`);
      out.push("");
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
