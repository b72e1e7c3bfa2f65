import type { CompiledAction, CompiledSpec, CompiledTable } from "../../../src/compile/compile.js";
import { ABSENT } from "../../../src/values/json-path.js";
import { messageOf } from "../lib/log.js";
import { loadPlan, mapLine } from "../lib/map-line.js";
import { connect, q } from "../lib/mysql.js";
import { fmt, round, rssMb } from "../lib/numbers.js";
import { quiesce } from "../lib/quiesce.js";
import type { Stage, StageContext } from "../lib/stage.js";
import { readLines } from "../lib/stream.js";
import { runWorker } from "../lib/worker-child.js";

/**
 * "table": all rows of a table together (the most favourable order, the yardstick). "stream": per
 * 1000 events in stream order, as any consumer of a stream has to write them.
 */
type RowOrder = "table" | "stream";

interface SinkArgs {
  readonly stream: string;
  readonly url: string;
  readonly rowsPerStatement: number;
  readonly statementsPerTx: number;
  readonly order: RowOrder;
}

interface SinkResult {
  readonly events: number;
  readonly rows: number;
  readonly statements: number;
  readonly transactions: number;
  readonly rows_per_statement: number;
  readonly statements_per_transaction: number;
  readonly rows_by_table: Record<string, number>;
  readonly statement_ms_by_table: Record<string, number>;
  readonly seconds: number;
  readonly rows_per_second: number;
  readonly max_rss_mb: number;
}

/** The rows of one table with one column list (that of the action that produced them), in one batch. */
interface Group {
  readonly table: CompiledTable;
  readonly cols: string[];
  readonly rows: (readonly unknown[])[];
  readonly batch: number;
}

interface RawStatement {
  readonly sql: string;
  readonly params: unknown[];
  readonly table: string;
  readonly rows: number;
}

/** The stream's inserted rows grouped per (batch, table, column list). */
function groupRows(
  plan: CompiledSpec,
  lines: readonly string[],
  order: RowOrder,
): { events: number; groups: Group[] } {
  const groups = new Map<string, Group>();
  let batchNo = 0;
  const groupOf = (action: CompiledAction): Group => {
    const cols =
      action.mode === "replace"
        ? [...action.where, ...action.columns].map((c) => c.name)
        : action.columns.map((c) => c.name);
    const key = `${batchNo}|${action.table.name}|${cols.join(",")}`;
    let g = groups.get(key);
    if (!g) {
      g = { table: action.table, cols, rows: [], batch: batchNo };
      groups.set(key, g);
    }
    return g;
  };
  let events = 0;
  for (const line of lines) {
    const r = mapLine(plan, line);
    events++;
    if (order === "stream" && events % 1000 === 0) batchNo++;
    if (r.kind !== "event") continue;
    for (const op of r.ops) {
      const mode = op.action.mode;
      if (mode === "upsert" || mode === "append") groupOf(op.action).rows.push(op.values);
      else if (mode === "replace") {
        const g = groupOf(op.action);
        for (const row of op.rows ?? []) g.rows.push([...op.where, ...row]);
      }
    }
  }
  // Parents first within a batch: the plan's table order.
  const rank = new Map(plan.tables.map((t, i) => [t.name, i]));
  const sorted = [...groups.values()].sort(
    (a, b) => a.batch - b.batch || rank.get(a.table.name)! - rank.get(b.table.name)!,
  );
  return { events, groups: sorted };
}

/** Raw multi-row upserts of a group, `rowsPerStatement` rows each; absent values as DEFAULT. */
function upserts(g: Group, rowsPerStatement: number): RawStatement[] {
  const keys = new Set(g.table.primaryKey);
  const updates = g.cols.filter((c) => !keys.has(c)).map((c) => `${q(c)} = VALUES(${q(c)})`);
  const first = q(g.cols[0]!);
  const assignments = updates.length ? updates.join(", ") : `${first} = ${first}`;
  const prefix = `INSERT INTO ${q(g.table.name)} (${g.cols.map(q).join(",")}) VALUES `;
  const suffix = ` ON DUPLICATE KEY UPDATE ${assignments}`;
  const out: RawStatement[] = [];
  for (let i = 0; i < g.rows.length; i += rowsPerStatement) {
    const chunk = g.rows.slice(i, i + rowsPerStatement);
    const params: unknown[] = [];
    const parts: string[] = [];
    for (const row of chunk) {
      let text = "(";
      for (let c = 0; c < row.length; c++) {
        const v = row[c];
        if (c > 0) text += ",";
        if (v === ABSENT) text += "DEFAULT";
        else {
          text += "?";
          params.push(v);
        }
      }
      parts.push(`${text})`);
    }
    out.push({ sql: prefix + parts.join(",") + suffix, params, table: g.table.name, rows: chunk.length });
  }
  return out;
}

/**
 * sink limit: every row our write path inserts (upsert rows, append rows, replace child rows with
 * their parent key), written table by table (parents first) as raw multi-row upserts. Only the
 * database part is timed; the statements are built beforehand.
 */
async function work({
  stream,
  url,
  rowsPerStatement,
  statementsPerTx,
  order,
}: SinkArgs): Promise<SinkResult> {
  const plan = loadPlan();
  const lines = readLines(stream);
  const { events, groups } = groupRows(plan, lines, order);
  lines.length = 0;
  const statements: RawStatement[] = [];
  let rows = 0;
  const perTable: Record<string, number> = {};
  for (const g of groups) {
    statements.push(...upserts(g, rowsPerStatement));
    rows += g.rows.length;
    perTable[g.table.name] = (perTable[g.table.name] ?? 0) + g.rows.length;
  }

  const conn = await connect(url);
  try {
    for (const t of plan.tables) await conn.query(t.ddl);
    let transactions = 0;
    const msByTable: Record<string, number> = {};
    const started = performance.now();
    for (let i = 0; i < statements.length; i += statementsPerTx) {
      await conn.query("START TRANSACTION");
      for (const s of statements.slice(i, i + statementsPerTx)) {
        try {
          const t0 = performance.now();
          await conn.query(s.sql, s.params);
          msByTable[s.table] = (msByTable[s.table] ?? 0) + performance.now() - t0;
        } catch (e) {
          throw new Error(`sink limit: statement on ${s.table} (${s.rows} rows) failed: ${messageOf(e)}`);
        }
      }
      await conn.query("COMMIT");
      transactions++;
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      events,
      rows,
      statements: statements.length,
      transactions,
      rows_per_statement: rowsPerStatement,
      statements_per_transaction: statementsPerTx,
      rows_by_table: perTable,
      statement_ms_by_table: Object.fromEntries(
        Object.entries(msByTable).map(([t, ms]) => [t, Math.round(ms)]),
      ),
      seconds: round(seconds, 3),
      rows_per_second: Math.round(rows / seconds),
      max_rss_mb: rssMb(),
    };
  } finally {
    await conn.end();
  }
}

/** One sink-limit run in a fresh database (no migrate: the worker creates the tables). */
async function runOnce(ctx: StageContext, order: RowOrder): Promise<SinkResult> {
  const { url } = await ctx.databases.fresh("sink", { migrate: false });
  const args: SinkArgs = {
    stream: ctx.stream,
    url,
    rowsPerStatement: ctx.config.sink_rows_per_statement,
    statementsPerTx: ctx.config.sink_statements_per_tx,
    order,
  };
  return runWorker<SinkResult>(ctx.children, "sink", args);
}

/** sink limit: the yardstick of the write path on this database, and the same rows in stream order. */
export const sink: Stage = {
  name: "sink",
  label: "sink limit",
  quiesce: true,
  work,
  async run(ctx) {
    const r = await runOnce(ctx, "table");
    // The same rows grouped per 1000 events in stream order: what a stream consumer's writes cost
    // when its tables together outgrow the buffer pool. Reported beside the yardstick, not instead.
    const quiet = await quiesce(await ctx.databases.admin());
    const s = await runOnce(ctx, "stream");
    return {
      ...r,
      stream_order: { ...s, quiesced: quiet },
      notes: `${r.rows} rows, ${r.rows_per_statement}/stmt, ${r.statements_per_transaction} stmt/tx, table by table; in stream order ${fmt(s.rows_per_second)} rows/s; RSS holds all rows`,
    };
  },
};
