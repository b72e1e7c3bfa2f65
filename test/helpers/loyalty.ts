// A loyalty stream (docs/cookbook/loyalty) with redeliveries, and the balances it must leave:
// computed here from the events, not by the engine (kafka-counters, kafka-healing).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestDb } from "./db.js";

/** `streams()` written to `dir` as setup.jsonl and stream.jsonl, for `projector emit`. */
export function streamFiles(
  dir: string,
  events: number,
  seed: number,
): ReturnType<typeof streams> & { setupFile: string; streamFile: string } {
  const s = streams(events, seed);
  const setupFile = join(dir, "setup.jsonl");
  const streamFile = join(dir, "stream.jsonl");
  writeFileSync(setupFile, `${s.setup.join("\n")}\n`);
  writeFileSync(streamFile, `${s.stream.join("\n")}\n`);
  return { ...s, setupFile, streamFile };
}

/** A test's Kafka env for runs it SIGKILLs: a dead member holds its partitions 6 s, not 30. */
export function killableEnv(env: Record<string, string>): Record<string, string> {
  return { ...env, KAFKA_SESSION_TIMEOUT_MS: "6000" };
}

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

export interface Expected {
  points: Map<string, number>;
  renewals: Map<string, number>;
  quantity: Map<string, number>;
}

/**
 * The setup (members and carts) and the stream of counts, with what they must leave. Removals only
 * take what an earlier add of the same cart (same key, so same partition, earlier) put in.
 */
export function streams(
  events: number,
  seed: number,
): { setup: string[]; stream: string[]; expected: Expected } {
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
export async function actual(db: TestDb): Promise<Expected> {
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
export async function carts(db: TestDb): Promise<{ wrong: unknown[]; items: [string, number][] }> {
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
export function expectedItems(e: Expected): [string, number][] {
  const m = new Map<string, number>();
  for (const [k, v] of e.quantity) m.set(k.split("/")[0]!, (m.get(k.split("/")[0]!) ?? 0) + v);
  return [...m].filter(([, n]) => n !== 0).sort();
}

export function sorted(e: Expected) {
  const s = (m: Map<string, number>) => [...m].filter(([, v]) => v !== 0 || m === e.quantity).sort();
  return { points: s(e.points), renewals: s(e.renewals), quantity: s(e.quantity) };
}
