import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TestDb } from "../helpers/db.js";
import { projector } from "../helpers/kafka/processes.js";
import { appliedCount } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { summaryOf } from "../helpers/summary.js";
import { WaitAborted, waitFor, withTimeout } from "../helpers/wait.js";

/**
 * Counters (`combine: add`/`subtract`) and aggregates (`aggregate:`) through Kafka: a stream in which 6 % of the events are
 * delivered again later (the same event_id at another offset, as an at-least-once producer sends
 * them), consumed by runs killed with SIGKILL mid-stream and restarted, then rebuilt: each event is
 * counted once. The expected balances are computed here, from the events, not by the engine.
 */
const SPECS = "docs/cookbook/loyalty";
const scope = testScope();
const dir = mkdtempSync(join(tmpdir(), "projector-counters-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MEMBERS = 60;
const CARTS = 30;
const SKUS = ["MUG", "TEA", "PEN", "CAP"];

/** A seeded generator (mulberry32): the same stream every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Expected {
  points: Map<string, number>;
  renewals: Map<string, number>;
  quantity: Map<string, number>;
}

/**
 * The setup (members and carts) and the stream of counts, with what they must leave. Removals only
 * take what an earlier add of the same cart (same key, so same partition, earlier) put in.
 */
function streams(events: number, seed: number): { setup: string[]; stream: string[]; expected: Expected } {
  const rnd = random(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  let n = 0;
  const line = (type: string, entity: string, data: Record<string, unknown>) =>
    JSON.stringify({
      event_type: type,
      event_id: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
      timestamp: `2025-05-01T${String(Math.floor(n / 3600) % 24).padStart(2, "0")}:${String(Math.floor(n / 60) % 60).padStart(2, "0")}:${String(n % 60).padStart(2, "0")}Z`,
      entity_id: entity,
      data,
    });
  const setup: string[] = [];
  for (let i = 0; i < MEMBERS; i++) setup.push(line("loyalty.joined", `u-${i}`, { tier: "silver" }));
  for (let i = 0; i < CARTS; i++) setup.push(line("cart.created", `cart-${i}`, { user_id: `u-${i}` }));
  const expected: Expected = { points: new Map(), renewals: new Map(), quantity: new Map() };
  const bump = (m: Map<string, number>, k: string, by: number) => m.set(k, (m.get(k) ?? 0) + by);
  const stream: string[] = [];
  for (let i = 0; i < events; i++) {
    if (stream.length > 10 && rnd() < 0.06) {
      stream.push(stream[pick(stream.length)]!); // delivered again, later: counted once
      continue;
    }
    const kind = pick(5);
    const user = `u-${pick(MEMBERS)}`;
    if (kind <= 1) {
      const points = 1 + pick(100);
      bump(expected.points, user, points);
      stream.push(line("loyalty.points_earned", user, { points, order_total: String(pick(500)) }));
    } else if (kind === 2) {
      const points = 1 + pick(20);
      bump(expected.points, user, -points);
      stream.push(line("loyalty.points_redeemed", user, { points }));
    } else if (kind === 3) {
      bump(expected.renewals, user, 1);
      stream.push(line("subscription.renewed", user, { user_id: user }));
    } else {
      const cart = `cart-${pick(CARTS)}`;
      const sku = SKUS[pick(SKUS.length)]!;
      const have = expected.quantity.get(`${cart}/${sku}`);
      if (have !== undefined && have > 0 && rnd() < 0.3) {
        expected.quantity.set(`${cart}/${sku}`, have - 1);
        stream.push(line("cart.item_removed", cart, { sku, qty: 1 }));
      } else {
        const qty = 1 + pick(3);
        bump(expected.quantity, `${cart}/${sku}`, qty);
        stream.push(line("cart.item_added", cart, { sku, qty, unit_price: "2.50" }));
      }
    }
  }
  return { setup, stream, expected };
}

/** The balances as the tables hold them, in the generator's terms. */
async function actual(db: TestDb): Promise<Expected> {
  const accounts = await db.rows<{ user_id: string; points: number; renewals: number }>(
    "SELECT user_id, points, renewals FROM loyalty_accounts",
  );
  const lines = await db.rows<{ cart_id: string; sku: string; quantity: number }>(
    "SELECT cart_id, sku, quantity FROM cart_lines",
  );
  const nonZero = (m: Map<string, number>) => new Map([...m].filter(([, v]) => v !== 0));
  return {
    points: nonZero(new Map(accounts.map((a) => [a.user_id, Number(a.points)]))),
    renewals: nonZero(new Map(accounts.map((a) => [a.user_id, Number(a.renewals)]))),
    quantity: new Map(lines.map((l) => [`${l.cart_id}/${l.sku}`, Number(l.quantity)])),
  };
}

/** Carts whose aggregates differ from their lines (`aggregate:`), and the item counts by cart. */
async function carts(db: TestDb): Promise<{ wrong: unknown[]; items: [string, number][] }> {
  const wrong = await db.rows(
    `SELECT c.cart_id FROM carts c WHERE
       c.line_count <> (SELECT COUNT(*) FROM cart_lines l WHERE l.cart_id = c.cart_id)
       OR c.item_count <> (SELECT COALESCE(SUM(quantity), 0) FROM cart_lines l WHERE l.cart_id = c.cart_id)
       OR c.total <> (SELECT COALESCE(SUM(quantity * unit_price), 0) FROM cart_lines l WHERE l.cart_id = c.cart_id)`,
  );
  const rows = await db.rows<{ cart_id: string; item_count: number }>(
    "SELECT cart_id, item_count FROM carts",
  );
  return {
    wrong,
    items: rows
      .map((r): [string, number] => [r.cart_id, Number(r.item_count)])
      .filter(([, n]) => n !== 0)
      .sort(),
  };
}

/** The item counts by cart the generator expects. */
function expectedItems(e: Expected): [string, number][] {
  const m = new Map<string, number>();
  for (const [k, v] of e.quantity) m.set(k.split("/")[0]!, (m.get(k.split("/")[0]!) ?? 0) + v);
  return [...m].filter(([, n]) => n !== 0).sort();
}

function sorted(e: Expected) {
  const s = (m: Map<string, number>) => [...m].filter(([, v]) => v !== 0 || m === e.quantity).sort();
  return { points: s(e.points), renewals: s(e.renewals), quantity: s(e.quantity) };
}

describe("counters through Kafka", () => {
  it("redeliveries, SIGKILLed runs and a rebuild count each event once; aggregates follow", async () => {
    const { setup, stream, expected } = streams(3000, 11);
    const setupFile = join(dir, "setup.jsonl");
    const streamFile = join(dir, "stream.jsonl");
    writeFileSync(setupFile, `${setup.join("\n")}\n`);
    writeFileSync(streamFile, `${stream.join("\n")}\n`);
    const { db, ctx, env } = await scope.kafka(3);
    const specs = ["--projections", SPECS];
    expect((await projector(["emit", setupFile], env)).status).toBe(0);
    const first = await projector(["run", "--until-caught-up", "--json", ...specs], env);
    expect(first.status, first.stderr.slice(-2000)).toBe(0);
    const base = await appliedCount(db, ctx.group);
    expect((await projector(["emit", streamFile], env)).status).toBe(0);

    // Killed twice mid-stream (small transactions: many commits to stop between).
    let killedAt = base;
    for (const more of [400, 1000]) {
      const p = scope.spawn(["run", "--batch-size", "20", ...specs], env);
      const target = killedAt + more;
      await waitFor(
        `${target} records applied`,
        async () => {
          if (!p.running) throw new WaitAborted(`run exited early: ${(await p.done).stderr.slice(-2000)}`);
          return (await appliedCount(db, ctx.group)) >= target;
        },
        { timeoutMs: 90_000, intervalMs: 20 },
      );
      p.kill("SIGKILL");
      await p.done;
      killedAt = await appliedCount(db, ctx.group);
      expect(killedAt).toBeLessThan(base + stream.length);
    }
    const rest = await withTimeout(
      projector(["run", "--until-caught-up", "--json", ...specs], env),
      120_000,
      "the restarted run did not catch up",
    );
    expect(rest.status, rest.stderr.slice(-3000)).toBe(0);
    expect(summaryOf(rest)).toMatchObject({ dead_lettered: 0 });
    expect(await appliedCount(db, ctx.group)).toBe(base + stream.length);
    expect(sorted(await actual(db))).toEqual(sorted(expected));
    expect(await carts(db)).toEqual({ wrong: [], items: expectedItems(expected) });
    // Every counting action of every distinct event is remembered once.
    const distinct = new Set(stream.map((l) => JSON.parse(l).event_id)).size;
    const [counted] = await db.rows<{ n: number }>(
      "SELECT (SELECT COUNT(*) FROM loyalty_accounts__counted) + (SELECT COUNT(*) FROM cart_lines__counted) n",
    );
    expect(Number(counted!.n)).toBe(distinct);

    // A rebuild reads the topics from the start (redeliveries included) into fresh tables.
    // (carts is not rebuilt: its aggregates are left to the live run; the rebuilt lines are the same.)
    const rebuilt = await projector(["rebuild", "loyalty_accounts", "cart_lines", "--json", ...specs], env);
    expect(rebuilt.status, rebuilt.stderr.slice(-3000)).toBe(0);
    // The rebuild reads every topic at once: a renewal (topic subscription) may come before its
    // member's join (topic loyalty) and wait as an unmatched letter, until a retry applies it.
    const retried = await projector(
      ["dead-letters", "retry", "--kind", "unmatched", "--json", ...specs],
      env,
    );
    expect(retried.status, retried.stderr.slice(-2000)).toBe(0);
    expect(await db.rows("SELECT kind, reason FROM projector_dead_letters")).toEqual([]);
    expect(sorted(await actual(db))).toEqual(sorted(expected));
    // Its counted events went live with it: a redelivery after the swap is still not counted.
    const again = join(dir, "again.jsonl");
    writeFileSync(again, `${stream.slice(0, 50).join("\n")}\n`);
    expect((await projector(["emit", again], env)).status).toBe(0);
    const after = await projector(["run", "--until-caught-up", "--json", ...specs], env);
    expect(after.status, after.stderr.slice(-2000)).toBe(0);
    expect(summaryOf(after)).toMatchObject({ read: 50, already_counted: 50 });
    expect(sorted(await actual(db))).toEqual(sorted(expected));
    expect(await carts(db)).toEqual({ wrong: [], items: expectedItems(expected) });
  }, 400_000);
});
