import { setTimeout as sleep } from "node:timers/promises";
import { FINGERPRINTS, REBUILDS } from "../compile/engine-tables.js";
import { compareVersions, type TableVersion, tableFingerprints } from "../compile/fingerprint.js";
import { listTablesStatement } from "../compile/reads.js";
import { log } from "../core/log.js";
import { UserError } from "../core/user-error.js";
import type { MysqlSink } from "../sink/mysql-sink.js";
import type { Spec } from "../specs/types.js";
import { saveFingerprintsStatement, selectFingerprintsStatement } from "../store/fingerprints.js";
import { ensureGenerationStatement, selectGenerationStatement } from "../store/meta.js";
import { selectRebuildsStatement } from "../store/rebuilds.js";

/** A table's rows against the specs on disk. */
export interface TableState {
  readonly table: string;
  /**
   * new: no version recorded (the table is new, or older than versions); current: built with these
   * specs; additive: migrate made it right; rebuild: its rows follow older specs (`reasons`).
   */
  readonly state: "new" | "current" | "additive" | "rebuild";
  readonly reasons: readonly string[];
}

/** The refusal of a command to write tables whose rows follow older specs (exit 1). */
export class SpecDriftError extends UserError {
  override name = "SpecDriftError";
}

/** Every table's state (read only). Empty when the database has no versions yet. */
export async function tableStates(sink: MysqlSink, spec: Spec): Promise<TableState[]> {
  const [tables = []] = await sink.select([listTablesStatement()]);
  if (!tables.some((r) => r.t === FINGERPRINTS)) return [];
  const [rows = []] = await sink.select([selectFingerprintsStatement()]);
  const stored = new Map(
    rows.map((r) => [
      String(r.table_name),
      { fingerprint: String(r.fingerprint), version: String(r.version) },
    ]),
  );
  const out: TableState[] = [];
  for (const [table, now] of tableFingerprints(spec)) {
    const old = stored.get(table);
    if (!old) out.push({ table, state: "new", reasons: [] });
    else if (old.fingerprint === now.fingerprint) out.push({ table, state: "current", reasons: [] });
    else {
      const change = compareVersions(JSON.parse(old.version) as TableVersion, now.version);
      out.push({ table, state: change.state, reasons: change.reasons });
    }
  }
  return out;
}

/** The fix `run` and `status` name for tables whose rows follow older specs. */
export function rebuildHint(states: readonly TableState[]): string {
  const names = states.filter((s) => s.state === "rebuild").map((s) => s.table);
  return `projector rebuild ${names.join(" ")}`;
}

/**
 * After migrate: records the versions of new tables and of tables migrate made right; returns every
 * table's state (those in state "rebuild" keep their older version).
 */
export async function recordVersions(sink: MysqlSink, spec: Spec): Promise<TableState[]> {
  const gen = ensureGenerationStatement();
  await sink.query(gen.sql, [...gen.params]);
  const states = await tableStates(sink, spec);
  const all = tableFingerprints(spec);
  const record = states
    .filter((s) => s.state === "new" || s.state === "additive")
    .map((s) => all.get(s.table)!);
  if (record.length > 0) {
    const st = saveFingerprintsStatement(
      record.map((f) => ({ table: f.table, fingerprint: f.fingerprint, json: f.json })),
      sink.dialect,
    );
    await sink.query(st.sql, [...st.params]);
  }
  return states;
}

/**
 * Records the versions (recordVersions) and refuses, with a user error naming `projector rebuild`,
 * to write tables whose rows follow older specs, unless `allowDrift`.
 */
export async function checkVersions(
  sink: MysqlSink,
  spec: Spec,
  opts: { allowDrift?: boolean; command: string },
): Promise<TableState[]> {
  const states = await recordVersions(sink, spec);
  const drift = states.filter((s) => s.state === "rebuild");
  if (drift.length > 0) {
    const what = drift.map((s) => `${s.table} (${s.reasons.join("; ")})`).join(", ");
    if (!opts.allowDrift)
      throw new SpecDriftError(
        `the rows of ${what} follow older specs than those on disk: run ${rebuildHint(drift)} to rebuild them without downtime (or ${opts.command} --allow-spec-drift to write them anyway, their older rows keeping the older mapping)`,
      );
    log.warn(`writing tables whose rows follow older specs (--allow-spec-drift): ${what}`);
  }
  return states;
}

/** The specs generation as committed. */
export async function specsGeneration(sink: MysqlSink): Promise<string> {
  const [rows = []] = await sink.select([selectGenerationStatement()]);
  return String(rows[0]?.value ?? "0");
}

/** Rebuilds recorded: their tables and phase. */
export async function rebuilds(sink: MysqlSink): Promise<
  {
    name: string;
    tables: string[];
    phase: string;
    group: string;
    fingerprint: string;
    applied: number;
    behind: number | null;
    startedAt: string;
    updatedAt: string;
  }[]
> {
  const [tables = []] = await sink.select([listTablesStatement()]);
  if (!tables.some((r) => r.t === REBUILDS)) return [];
  const [rows = []] = await sink.select([selectRebuildsStatement()]);
  return rows.map((r) => ({
    name: String(r.name),
    tables: JSON.parse(String(r.tables_json)) as string[],
    phase: String(r.phase),
    group: String(r.consumer_group),
    fingerprint: String(r.fingerprint),
    applied: Number(r.applied),
    behind: r.behind === null ? null : Number(r.behind),
    startedAt: when(r.started_at),
    updatedAt: when(r.updated_at),
  }));
}

function when(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

/** Waits while a rebuild swaps any of `tables` (a run must not write them with the wrong specs meanwhile). */
export async function waitForSwaps(
  sink: MysqlSink,
  tables: readonly string[],
  signal: AbortSignal,
): Promise<void> {
  const mine = new Set(tables);
  for (let logged = false; !signal.aborted; ) {
    const swapping = (await rebuilds(sink)).filter(
      (r) => r.phase === "swapping" && r.tables.some((t) => mine.has(t)),
    );
    if (swapping.length === 0) return;
    if (!logged)
      log.info("waiting for a rebuild to swap its tables in", { rebuilds: swapping.map((r) => r.name) });
    logged = true;
    await sleep(500, undefined, { signal }).catch(() => undefined);
  }
}
