import { forTerminal } from "../../core/terminal.js";
import { checkExamples } from "../../examples/check-examples.js";
import { loadCompiled } from "../../jobs/load-specs.js";

/**
 * `projector test`: checks the examples the specs carry, with no database. Each failing example is
 * printed with its details right under it, in order, on one stream (stdout): `FAIL name`, then
 * one `file:line:col: …` line per difference.
 */
export function testCommand(dir: string): number {
  const compiled = loadCompiled(dir);
  const results = checkExamples(compiled);
  let failed = 0;
  // Names, values and reasons come from the specs and their events: control characters escaped.
  for (const { example, failures } of results) {
    const name = forTerminal(example.name);
    const where = forTerminal(`${example.pos.file}:${example.pos.line}:${example.pos.col}`);
    if (failures.length === 0) {
      process.stdout.write(`ok   ${name}\n`);
      continue;
    }
    failed++;
    const details = failures.map((f) => `  ${where}: example "${name}": ${forTerminal(f)}\n`).join("");
    process.stdout.write(`FAIL ${name}\n${details}`);
  }
  process.stdout.write(`\n${results.length - failed} passed, ${failed} failed\n`);
  if (results.length === 0)
    process.stderr.write("no examples in the specs (add examples: to a projection file)\n");
  return failed > 0 ? 1 : 0;
}
