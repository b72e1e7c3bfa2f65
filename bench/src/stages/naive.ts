import { dialectOf } from "../../../src/compile/ddl.js";
import type { MappedOp } from "../../../src/compile/map-event.js";
import type { Dialect } from "../../../src/compile/sql.js";
import {
  deleteChildrenStatement,
  deleteShape,
  deleteStatement,
  insertShape,
  insertStatement,
  type Statement,
  updateShape,
  updateStatement,
  upsertShape,
  upsertStatement,
} from "../../../src/compile/statements.js";
import { messageOf } from "../lib/log.js";
import { loadPlan, mapLine, rowsOf } from "../lib/map-line.js";
import { connect } from "../lib/mysql.js";
import { round, rssMb } from "../lib/numbers.js";
import type { Stage } from "../lib/stage.js";
import { streamLines } from "../lib/stream.js";
import { runWorker } from "../lib/worker-child.js";

interface NaiveArgs {
  readonly stream: string;
  readonly url: string;
  /** Events of the stream to apply (its prefix). */
  readonly count: number;
}

interface NaiveResult {
  readonly events: number;
  readonly applied: number;
  readonly failed: number;
  readonly skipped: number;
  readonly rows: number;
  readonly statements: number;
  readonly first_error: string | undefined;
  readonly seconds: number;
  readonly events_per_second: number;
  readonly rows_per_second: number;
  readonly max_rss_mb: number;
}

/** One event's ops as single-row statements, built with the engine's statement builders. */
function* singleRowStatements(ops: readonly MappedOp[], dialect: Dialect): Generator<Statement> {
  for (const op of ops) {
    const action = op.action;
    switch (action.mode) {
      case "upsert":
        yield upsertStatement(upsertShape(action, op.signature, dialect), [op]);
        break;
      case "append":
        yield insertStatement(insertShape(action), [{ lead: [], values: op.values }]);
        break;
      case "replace": {
        yield deleteChildrenStatement(action, [op.where]);
        const shape = insertShape(action);
        for (const row of op.rows ?? []) yield insertStatement(shape, [{ lead: op.where, values: row }]);
        break;
      }
      case "update":
      case "soft_delete":
        yield updateStatement(updateShape(action, op.signature), [op]);
        break;
      case "delete":
        yield deleteStatement(deleteShape(action), [op]);
        break;
      default:
        throw new Error(`unknown mode ${String(action.mode satisfies never)}`);
    }
  }
}

/**
 * naive: the seeds' consumer design. One transaction per event, one single-row statement per op,
 * no guards and no pre-reads. Mapping is inside the timed loop (the consumer maps too).
 */
async function work({ stream, url, count }: NaiveArgs): Promise<NaiveResult> {
  const plan = loadPlan();
  const conn = await connect(url);
  const [versionRows] = await conn.query("SELECT VERSION() AS v");
  const dialect = dialectOf(String((versionRows as { v: string }[])[0]?.v));
  let events = 0;
  let applied = 0;
  let failed = 0;
  let skipped = 0;
  let rows = 0;
  let statements = 0;
  let firstError: string | undefined;
  try {
    for (const t of plan.tables) await conn.query(t.ddl);
    const started = performance.now();
    // Streamed, not held in memory, so that the peak RSS is the consumer's (reading is ~0.1 % of the time).
    for await (const line of streamLines(stream)) {
      if (events >= count) break;
      events++;
      const r = mapLine(plan, line);
      if (r.kind !== "event") {
        skipped++;
        continue;
      }
      await conn.query("START TRANSACTION");
      try {
        for (const s of singleRowStatements(r.ops, dialect)) {
          await conn.query(s.sql, s.params);
          statements++;
        }
        await conn.query("COMMIT");
        applied++;
        rows += rowsOf(r.ops);
      } catch (e) {
        failed++;
        firstError ??= messageOf(e);
        await conn.query("ROLLBACK");
      }
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      events,
      applied,
      failed,
      skipped,
      rows,
      statements,
      first_error: firstError,
      seconds: round(seconds, 3),
      events_per_second: Math.round(events / seconds),
      rows_per_second: Math.round(rows / seconds),
      max_rss_mb: rssMb(),
    };
  } finally {
    await conn.end();
  }
}

/** naive: the one-transaction-per-event consumer, in a worker child, on a fresh database. */
export const naive: Stage = {
  name: "naive",
  label: "naive",
  quiesce: true,
  work,
  async run(ctx) {
    const { db, url } = await ctx.databases.fresh("naive", { migrate: false });
    const args: NaiveArgs = { stream: ctx.stream, url, count: ctx.config.naive_events };
    const r = await runWorker<NaiveResult>(ctx.children, "naive", args);
    ctx.counts.naive = await ctx.databases.tableCounts(db, ctx.plan);
    const scaled = r.events < ctx.config.events ? `only ${r.events} of ${ctx.config.events} events; ` : "";
    return { ...r, notes: `${scaled}${r.failed} failed events, ${r.statements} statements` };
  },
};
