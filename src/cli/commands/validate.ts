import { forTerminal } from "../../core/terminal.js";
import { loadSpecs } from "../../jobs/load-specs.js";
import { formatIssue } from "../../specs/issues.js";

/** `projector validate`: every issue as file:line:col: message; exit 1 on any. */
export function validateCommand(dir: string): number {
  const { spec, issues } = loadSpecs(dir);
  if (issues.length > 0) {
    for (const i of issues) process.stderr.write(`${forTerminal(formatIssue(i))}\n`);
    process.stderr.write(
      `\n${issues.length} problem${issues.length === 1 ? "" : "s"} in ${forTerminal(dir)}\n`,
    );
    return 1;
  }
  const actions = [...spec.events.values()].reduce((n, a) => n + a.length, 0);
  process.stdout.write(
    `ok: ${spec.files.length} files, ${spec.tables.size} tables, ${spec.events.size} event types, ${actions} actions, ${spec.examples.length} examples\n`,
  );
  return 0;
}
