import { deferrableIndexes, tableIndexesStatement } from "../../../src/compile/bulk-load.js";
import { type CompiledSpec, compile } from "../../../src/compile/compile.js";
import type { SourceRecord } from "../../../src/core/source-record.js";
import { deferIndexes } from "../../../src/jobs/bulk-load.js";
import { migrate, planSchema } from "../../../src/jobs/database.js";
import { Reference } from "../../../src/reference/interpreter.js";
import { Executor } from "../../../src/run/executor.js";
import { drain } from "../../../src/run/pipeline.js";
import { Stats } from "../../../src/run/stats.js";
import { MysqlSink } from "../../../src/sink/mysql-sink.js";
import type { ColumnType } from "../../../src/specs/types.js";
import { createTestDb, type TestDb } from "../db.js";
import { loadSpecTexts } from "../specs.js";

/**
 * What a stream leaves: every table's rows and the dead letters, in a form two results compare in
 * (rows as canonical JSON per column type, sorted; letters as `kind event_id event_type`, sorted).
 */
export interface Outcome {
  readonly tables: Record<string, string[]>;
  readonly letters: string[];
}

/** Compiles YAML texts (throws on a spec issue: the generators make valid specs). */
export function compileYaml(text: string): CompiledSpec {
  const { spec, issues } = loadSpecTexts([{ file: "spec.yaml", text }]);
  if (issues.length > 0)
    throw new Error(`generated spec is invalid:\n${issues.map((i) => i.message).join("\n")}\n${text}`);
  return compile(spec);
}

/** The records of a JSONL stream as `replay` reads them (the same source name, so letters match). */
export function records(lines: readonly string[]): SourceRecord[] {
  return lines.map((text, i) => ({
    value: Buffer.from(text),
    position: `line ${i + 1}`,
    line: i + 1,
    source: "stream.jsonl",
  }));
}

/** The reference interpreter's tables and letters for a stream. */
export function referenceOutcome(compiled: CompiledSpec, lines: readonly string[]): Outcome {
  const ref = new Reference(compiled);
  for (const r of records(lines)) ref.apply(r);
  const tables: Record<string, string[]> = {};
  for (const [name, rows] of ref.tables()) tables[name] = canonicalRows(compiled, name, rows);
  const letters = ref.letters().map((l) => letterText(l.kind, l.eventId, l.eventType));
  return { tables, letters: letters.sort() };
}

function letterText(kind: unknown, eventId: unknown, eventType: unknown): string {
  return `${String(kind)} ${String(eventId ?? null)} ${String(eventType ?? null)}`;
}

/** Rows of a table as sorted canonical JSON (generated columns left out). */
function canonicalRows(
  compiled: CompiledSpec,
  table: string,
  rows: readonly Record<string, unknown>[],
): string[] {
  const cols = [...compiled.tableByName.get(table)!.spec.columns.values()].filter((c) => !c.generated);
  return rows.map((r) => JSON.stringify(cols.map((c) => canonicalValue(c.type, r[c.name])))).sort();
}

/** A column's value in one form, whether the database or the reference holds it. */
export function canonicalValue(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type.name) {
    case "json":
      return sortedJson(typeof v === "string" ? JSON.parse(v) : v);
    case "decimal":
      return canonicalDecimal(String(v));
    case "char":
      return String(v).replace(/ +$/, "");
    case "tinyint":
    case "smallint":
    case "int":
    case "boolean":
    case "double":
      return Number(v);
    default:
      return String(v);
  }
}

function sortedJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x)
      ? x.map(sort)
      : x !== null && typeof x === "object"
        ? Object.fromEntries(
            Object.keys(x)
              .sort()
              .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
          )
        : x;
  return JSON.stringify(sort(v));
}

function canonicalDecimal(s: string): string {
  const neg = s.startsWith("-");
  const [int = "0", frac = ""] = (neg ? s.slice(1) : s).split(".");
  const i = int.replace(/^0+(?=\d)/, "");
  const f = frac.replace(/0+$/, "");
  const body = f ? `${i}.${f}` : i;
  return neg && body !== "0" ? `-${body}` : body;
}

/** The differences between two outcomes, or undefined when they are the same. */
export function difference(expected: Outcome, actual: Outcome, label = "actual"): string | undefined {
  const out: string[] = [];
  const names = new Set([...Object.keys(expected.tables), ...Object.keys(actual.tables)]);
  for (const t of [...names].sort()) {
    const e = expected.tables[t] ?? [];
    const a = actual.tables[t] ?? [];
    const missing = e.filter((r) => !a.includes(r));
    const extra = a.filter((r) => !e.includes(r));
    if (missing.length || extra.length || e.length !== a.length)
      out.push(
        `table ${t}:${missing.map((r) => `\n  reference only: ${r}`).join("")}${extra.map((r) => `\n  ${label} only:    ${r}`).join("")}`,
      );
  }
  if (expected.letters.join("\n") !== actual.letters.join("\n"))
    out.push(
      `letters:\n  reference: ${JSON.stringify(expected.letters)}\n  ${label}: ${JSON.stringify(actual.letters)}`,
    );
  return out.length ? out.join("\n") : undefined;
}

/** How a stream is replayed: events per transaction, and whether batches are planned ahead. */
export interface ReplayConfig {
  readonly batchSize: number;
  readonly lookahead: boolean;
  /**
   * A new executor (a restart) every this many records: each reads the letters waiting for rows
   * from the database when it starts, as a restarted `run` does.
   */
  readonly restartEvery?: number;
  /**
   * The catch-up path of a large replay: the empty tables' secondary indexes are dropped before the
   * stream and built after it (jobs/bulk-load.ts).
   */
  readonly deferIndexes?: boolean;
}

/** Batch sizes 1, 2, 7 and 1000, each with and without lookahead; and batches of 3, restarted every 7 records. */
export const REPLAY_CONFIGS: readonly ReplayConfig[] = [
  ...[1, 2, 7, 1000].flatMap((batchSize) => [
    { batchSize, lookahead: true, ...(batchSize === 1000 ? { deferIndexes: true } : {}) },
    { batchSize, lookahead: false },
  ]),
  { batchSize: 3, lookahead: true, restartEvery: 7 },
];

/**
 * A database the differential tests replay into, through the runtime of `replay` in this process
 * (the executor and its pipeline, as the CLI wires them). Its tables are made for one spec at a
 * time; between streams of the same spec only the rows go.
 */
export class DiffDatabase {
  private specKey: string | undefined;
  private sink: MysqlSink | undefined;

  private constructor(readonly db: TestDb) {}

  static async create(): Promise<DiffDatabase> {
    return new DiffDatabase(await createTestDb("pjdiff"));
  }

  /** Empties the tables for a new stream (made anew when the spec differs from the last one's). */
  async prepare(compiled: CompiledSpec, specKey: string): Promise<void> {
    if (this.specKey !== specKey) {
      // The spec's own tables go; the engine's (the same for every spec) stay and are emptied
      // below: a new spec costs a few DDL statements per database, not twenty.
      const tables = await this.db.rows<{ t: string }>(
        "SELECT TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'projector\\_%'",
      );
      if (tables.length > 0) {
        await this.db.conn.query("SET FOREIGN_KEY_CHECKS = 0");
        await this.db.conn.query(`DROP TABLE ${tables.map((r) => `\`${r.t}\``).join(", ")}`);
        await this.db.conn.query("SET FOREIGN_KEY_CHECKS = 1");
      }
      this.sink ??= new MysqlSink(this.db.url);
      await migrate(this.sink, await planSchema(this.sink, compiled), () => undefined);
      this.specKey = specKey;
    }
    const names = [...compiled.tables].reverse().map((t) => t.quoted);
    for (const t of compiled.engineTables)
      if (t.name !== "projector_meta" && t.name !== "projector_fingerprints") names.push(t.quoted);
    await this.sink!.transaction((tx) =>
      tx.execute(names.map((n) => ({ sql: `DELETE FROM ${n}`, params: [] }))),
    );
  }

  /** Replays the stream through the executor, as `projector replay` does. */
  async replay(compiled: CompiledSpec, lines: readonly string[], config: ReplayConfig): Promise<void> {
    // Every refusal the database could make is decided before the statements (the planner rejects
    // the event): a batch MySQL refuses is a planner bug, even when splitting it recovers.
    const refused: string[] = [];
    const all = records(lines);
    const every = config.restartEvery ?? Math.max(all.length, 1);
    const tables = compiled.tables.map((t) => ({ name: t.name, spec: t.spec }));
    const deferred = config.deferIndexes ? await deferIndexes(this.sink!, tables) : undefined;
    // prepare() emptied the tables: whatever indexes the spec declares that can wait, do.
    if (config.deferIndexes && !deferred && tables.some((t) => deferrableIndexes(t.spec).length > 0))
      throw new Error("the indexes were not deferred on empty tables");
    for (let from = 0; from < all.length; from += every) {
      const executor = new Executor(compiled, this.sink!, {
        stats: new Stats(),
        lookahead: config.lookahead,
        maxRetries: 3,
        onRefused: (e, events) => refused.push(`a batch of ${events} events: ${e.message}`),
      });
      const part = all.slice(from, from + every);
      async function* batches() {
        for (let i = 0; i < part.length; i += config.batchSize) yield part.slice(i, i + config.batchSize);
      }
      await drain(executor, batches(), new AbortController().signal);
    }
    if (deferred) {
      await deferred.build();
      const [rows] = await this.sink!.select([tableIndexesStatement(tables.map((t) => t.name))]);
      const present = new Set((rows ?? []).map((r) => `${r.t}.${r.i}`));
      const missing = tables.flatMap((t) =>
        t.spec.indexes.map((i) => `${t.name}.${i.name}`).filter((n) => !present.has(n)),
      );
      if (missing.length > 0) throw new Error(`indexes not built after the load: ${missing.join(", ")}`);
    }
    if (refused.length > 0)
      throw new Error(`MySQL refused ${refused.length} batch(es) the planner made:\n${refused.join("\n")}`);
  }

  /** The tables and letters as they are now. */
  outcome(compiled: CompiledSpec): Promise<Outcome> {
    return outcomeOf(this.db, compiled);
  }

  async drop(): Promise<void> {
    await this.sink?.close();
    await this.db.drop();
  }
}

/** A database's tables and letters. */
export async function outcomeOf(db: TestDb, compiled: CompiledSpec): Promise<Outcome> {
  const tables: Record<string, string[]> = {};
  for (const t of compiled.tables) {
    // JSON as its text: the driver parses it on one server and not on the other.
    const cols = [...t.spec.columns.values()]
      .filter((c) => !c.generated)
      .map((c) =>
        c.type.name === "json" ? `CAST(\`${c.name}\` AS CHAR) AS \`${c.name}\`` : `\`${c.name}\``,
      );
    tables[t.name] = canonicalRows(
      compiled,
      t.name,
      await db.rows(`SELECT ${cols.join(", ")} FROM ${t.quoted}`),
    );
  }
  const letters = await db.rows<{ kind: string; event_id: string | null; event_type: string | null }>(
    "SELECT kind, event_id, event_type FROM projector_dead_letters",
  );
  return { tables, letters: letters.map((l) => letterText(l.kind, l.event_id, l.event_type)).sort() };
}
