import {
  addIndexesSql,
  deferrableIndexes,
  dropIndexesSql,
  emptyTablesStatement,
  tableIndexesStatement,
} from "../compile/bulk-load.js";
import { log } from "../core/log.js";
import type { MysqlSink } from "../sink/mysql-sink.js";
import type { KeySpec, TableSpec } from "../specs/types.js";

/**
 * Catch-up into empty tables: their secondary indexes projector never looks up by are dropped
 * before the load and built once after it (compile/bulk-load.ts says why and which). A load stopped
 * before it built them leaves them missing: the next `run`, `replay` or `migrate` adds them as it
 * starts (migrate adds missing indexes), and a resumed rebuild builds its shadows' at its end.
 */

/** `auto`: when the input is a large backlog; `always`: whenever the tables are empty; `never`. */
export type DeferIndexes = "auto" | "always" | "never";
export const DEFER_INDEXES: readonly DeferIndexes[] = ["auto", "always", "never"];

/** Under `auto`, a file this large is a backlog (about 45,000 events of the catalog's). */
export const BULK_LOAD_BYTES = 32 * 1024 * 1024;
/** Under `auto`, so many events not applied yet when `run` starts are a backlog. */
export const BULK_LOAD_EVENTS = 50_000;

/** A table as the load writes it: its physical name (a shadow's) and its spec. */
export interface LoadTable {
  readonly name: string;
  readonly spec: TableSpec;
}

/**
 * Under `auto`, `run` builds the indexes it deferred once fewer events than this are left to apply
 * (a busy topic is seldom at lag 0 on every partition at once).
 */
export const BULK_LOAD_NEARLY_CAUGHT_UP = 2_000;

/** Whether a load of `backlog` events (undefined: a file of `bytes`) defers the indexes under `mode`. */
export function isBulkLoad(mode: DeferIndexes, size: { events: number } | { bytes: number }): boolean {
  if (mode !== "auto") return mode === "always";
  return "events" in size ? size.events >= BULK_LOAD_EVENTS : size.bytes >= BULK_LOAD_BYTES;
}

/** The indexes a load deferred: `build()` adds those still missing (idempotent), on `sink` or another session. */
export interface DeferredIndexes {
  readonly indexes: number;
  build(on?: MysqlSink): Promise<{ seconds: number; built: number }>;
}

/**
 * Drops the deferrable indexes of those tables that are empty; undefined when none is (or none has
 * any). The tables must exist with their indexes (after migrate).
 */
export async function deferIndexes(
  sink: MysqlSink,
  tables: readonly LoadTable[],
): Promise<DeferredIndexes | undefined> {
  const candidates = tables.filter((t) => deferrableIndexes(t.spec).length > 0);
  if (candidates.length === 0) return undefined;
  const [rows] = await sink.select([emptyTablesStatement(candidates.map((t) => t.name))]);
  const empty = candidates.filter((_, i) => Number(rows?.[0]?.[`e${i}`]) === 1);
  if (empty.length === 0) return undefined;
  const present = await indexesOf(sink, empty);
  let indexes = 0;
  for (const t of empty) {
    const drop = deferrableIndexes(t.spec).filter((i) => present.has(key(t.name, i)));
    if (drop.length === 0) continue;
    await sink.query(dropIndexesSql(t.name, drop));
    indexes += drop.length;
  }
  log.info("indexes deferred until the load ends", {
    tables: empty.map((t) => t.name),
    indexes,
  });
  return {
    indexes,
    build: (on = sink) => buildIndexes(on, empty),
  };
}

/** Adds the deferrable indexes of the tables that are missing, one ALTER TABLE per table. */
export async function buildIndexes(
  sink: MysqlSink,
  tables: readonly LoadTable[],
): Promise<{ seconds: number; built: number }> {
  const started = performance.now();
  const present = await indexesOf(sink, tables);
  let built = 0;
  for (const t of tables) {
    const add = deferrableIndexes(t.spec).filter((i) => !present.has(key(t.name, i)));
    if (add.length === 0) continue;
    await sink.query(addIndexesSql(t.name, add));
    built += add.length;
  }
  const seconds = Math.round(performance.now() - started) / 1000;
  if (built > 0) log.info("deferred indexes built", { indexes: built, seconds });
  return { seconds, built };
}

function key(table: string, index: KeySpec): string {
  return `${table.toLowerCase()}\u0000${index.name.toLowerCase()}`;
}

async function indexesOf(sink: MysqlSink, tables: readonly LoadTable[]): Promise<Set<string>> {
  const [rows] = await sink.select([tableIndexesStatement(tables.map((t) => t.name))]);
  return new Set((rows ?? []).map((r) => `${String(r.t).toLowerCase()}\u0000${String(r.i).toLowerCase()}`));
}
