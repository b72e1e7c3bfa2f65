// The specs' log tables (append targets): rows an input must append to each, and rows a database has.
import { join } from "node:path";
import { REPO } from "./cli.js";
import type { TestDb } from "./db.js";
import { loadSpecDirOrThrow } from "./specs.js";
import { readEvents } from "./streams.js";

/** event type → the log tables its actions append to (from the compiled specs in projections/). */
export function appendTargets(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [type, actions] of loadSpecDirOrThrow(join(REPO, "projections")).events) {
    const appends = actions.filter((a) => a.mode === "append");
    // A conditional append would make the expected count depend on the payload.
    if (appends.some((a) => a.when)) throw new Error(`${type}: conditional appends are not counted here`);
    if (appends.length)
      out.set(
        type,
        appends.map((a) => a.table),
      );
  }
  return out;
}

/** The log tables (append targets) of the specs. */
export function logTables(): string[] {
  return [...new Set([...appendTargets().values()].flat())].sort();
}

/** Per log table: how many distinct source events of the input append to it. */
export function expectedLogCounts(file: string): Record<string, number> {
  const targets = appendTargets();
  const ids = new Map<string, Set<string>>(logTables().map((t) => [t, new Set()]));
  for (const e of readEvents(file))
    for (const t of targets.get(e.event_type) ?? []) ids.get(t)!.add(e.event_id);
  return Object.fromEntries([...ids].map(([t, s]) => [t, s.size]));
}

/** Per log table: COUNT(*) and COUNT(DISTINCT event_id). */
export async function logCounts(db: TestDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of logTables()) {
    const [r] = await db.rows<{ n: number; d: number }>(
      `SELECT COUNT(*) n, COUNT(DISTINCT event_id) d FROM \`${t}\``,
    );
    if (Number(r!.n) !== Number(r!.d)) throw new Error(`${t}: ${r!.n} rows but ${r!.d} distinct event ids`);
    out[t] = Number(r!.n);
  }
  return out;
}
