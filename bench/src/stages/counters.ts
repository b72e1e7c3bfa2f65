import { relative } from "node:path";
import type { Connection } from "mysql2/promise";
import { loadCompiled } from "../../../src/jobs/load-specs.js";
import {
  type CountingTotals,
  compareTotals,
  ensureCountersStream,
  expectedTableTotals,
  type TableTotals,
  writePlainSpecs,
} from "../lib/counters.js";
import { info } from "../lib/log.js";
import { q, select } from "../lib/mysql.js";
import { fmt, round } from "../lib/numbers.js";
import { COUNTERS_SPECS, ROOT } from "../lib/paths.js";
import { projector, type SummaryFigures, summaryFigures } from "../lib/projector-cli.js";
import { quiesce } from "../lib/quiesce.js";
import type { Stage, StageContext } from "../lib/stage.js";

/** The tables both variants write (the counting one adds the __counted companions). */
const TABLES = ["loyalty_accounts", "carts", "cart_lines"] as const;

/** `replay --json` of the stream into a fresh `pbench_<name>` migrated with `projections`. */
async function replayInto(
  ctx: StageContext,
  name: string,
  projections: string,
  file: string,
  totals: CountingTotals,
): Promise<{ db: string; figures: SummaryFigures }> {
  const { db, url } = await ctx.databases.fresh(name, { projections });
  info(`counters: replaying ${totals.events} events into ${db}`);
  const r = await projector(ctx.children, ["replay", file, "--projections", projections, "--json"], {
    env: { MYSQL_URL: url },
    log: name,
  });
  const f = summaryFigures(r, `counters (${name})`);
  const s = f.summary;
  if (f.events !== totals.events)
    throw new Error(`${name}: replay read ${f.events} of ${totals.events} events`);
  // Every event of the stream applies: an update always finds its row, nothing is refused.
  if (s.dead_lettered !== 0 || s.unmatched !== 0)
    throw new Error(`${name}: ${s.dead_lettered} dead-lettered, ${s.unmatched} unmatched (expected none)`);
  return { db, figures: f };
}

/** The totals the counting replay's tables hold. */
async function tableTotals(admin: Connection, db: string): Promise<TableTotals> {
  type Num = number | string | null;
  const n = (v: Num | undefined) => Number(v ?? 0);
  const [acc] = await select<{ n: Num; points: Num; renewals: Num; largest: Num }>(
    admin,
    `SELECT COUNT(*) AS n, SUM(points) AS points, SUM(renewals) AS renewals, SUM(largest_order) AS largest FROM ${q(db)}.loyalty_accounts`,
  );
  const [lines] = await select<{ n: Num; quantity: Num }>(
    admin,
    `SELECT COUNT(*) AS n, SUM(quantity) AS quantity FROM ${q(db)}.cart_lines`,
  );
  // The carts' aggregates must be the sums of their lines (they are, or the stage fails).
  const [carts] = await select<{ nlines: Num; items: Num; bad: Num }>(
    admin,
    `SELECT SUM(line_count) AS nlines, SUM(item_count) AS items,
       SUM(c.total <> (SELECT COALESCE(SUM(l.quantity * l.unit_price), 0) FROM ${q(db)}.cart_lines l WHERE l.cart_id = c.cart_id)) AS bad
     FROM ${q(db)}.carts c`,
  );
  if (n(carts?.nlines) !== n(lines?.n) || n(carts?.items) !== n(lines?.quantity) || n(carts?.bad) !== 0)
    throw new Error(
      `counters: the carts' aggregates are not their lines' (line_count ${n(carts?.nlines)} vs ${n(lines?.n)} lines, item_count ${n(carts?.items)} vs ${n(lines?.quantity)}, ${n(carts?.bad)} totals wrong)`,
    );
  const count = async (table: string) =>
    n((await select<{ n: Num }>(admin, `SELECT COUNT(*) AS n FROM ${q(db)}.${q(table)}`))[0]?.n);
  return {
    members: n(acc?.n),
    carts: await count("carts"),
    cart_lines: n(lines?.n),
    points: n(acc?.points),
    renewals: n(acc?.renewals),
    largest_order_cents: Math.round(n(acc?.largest) * 100),
    quantity: n(lines?.quantity),
    counted: {
      loyalty_accounts: await count("loyalty_accounts__counted"),
      cart_lines: await count("cart_lines__counted"),
    },
  };
}

/**
 * counters: what counting each event once costs. A seeded stream over a counting domain
 * (bench/counters/loyalty.yaml: points earned and redeemed, renewals, cart lines that add up, a
 * max and a min mark; ~3 % of the lines redeliver an earlier event) is replayed twice into fresh
 * databases: with the plain twin of the specs (every `combine:` removed: each value replaces the
 * column's, nothing is counted), then with the counting specs (values added, the __counted
 * companions read before each batch and written in its transaction). The figure is the counting
 * replay's events/s beside the plain one's. The counting replay's tables must hold the generator's
 * totals (points, renewals, the max mark, quantities, counted actions), else the stage fails: a
 * fast count that counts wrong is no figure.
 */
export const counters: Stage = {
  name: "counters",
  label: "counters (replay)",
  quiesce: true,
  skip: (config) => config.counters_events === 0,
  async run(ctx) {
    const { config } = ctx;
    const { file, totals } = await ensureCountersStream(config.counters_events, config.seed);
    const plainSpecs = writePlainSpecs();
    const plan = loadCompiled(COUNTERS_SPECS);
    const admin = await ctx.databases.admin();

    const plain = await replayInto(ctx, "counters_plain", plainSpecs, file, totals);
    info(`counters: plain ${fmt(plain.figures.events_per_second)} events/s`);
    ctx.counts.counters_plain = await ctx.databases.tableCounts(plain.db, plan);
    const settled = await quiesce(admin);
    const counting = await replayInto(ctx, "counters", COUNTERS_SPECS, file, totals);
    info(`counters: counting ${fmt(counting.figures.events_per_second)} events/s`);
    ctx.counts.counters = await ctx.databases.tableCounts(counting.db, plan);

    const expected = expectedTableTotals(totals);
    const measured = await tableTotals(admin, counting.db);
    const wrong = compareTotals(expected, measured);
    if (wrong.length)
      throw new Error(
        `counters: the counting replay's tables differ from the generator's totals: ${wrong.join("; ")}`,
      );
    const differ = TABLES.filter((t) => ctx.counts.counters_plain?.[t] !== ctx.counts.counters?.[t]);
    if (differ.length)
      throw new Error(
        `counters: the plain and counting replays wrote different rows in ${differ.join(", ")}`,
      );

    const c = counting.figures;
    const p = plain.figures;
    const ratio = c.events_per_second / p.events_per_second;
    return {
      events_per_second: c.events_per_second,
      rows_per_second: c.rows_per_second,
      max_rss_mb: c.max_rss_mb,
      plain_events_per_second: p.events_per_second,
      plain_rows_per_second: p.rows_per_second,
      counting_vs_plain: round(ratio, 3),
      events: totals.events,
      redelivered: totals.redelivered,
      counting: { ...c, quiesced: settled },
      plain: p,
      totals: { expected, measured },
      stream: {
        file: relative(ROOT, file),
        events: totals.events,
        redelivered: totals.redelivered,
        by_type: totals.by_type,
      },
      notes: `plain ${fmt(p.events_per_second)} ev/s (${(ratio * 100).toFixed(0)} %); ${fmt(totals.events)} events, ${fmt(totals.redelivered)} redelivered; totals match`,
    };
  },
};
