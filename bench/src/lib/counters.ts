import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { isScalar, parseDocument, visit } from "yaml";
import { Rng } from "../../../tools/generate/social-commerce/rng.js";
import type { Envelope } from "../../../tools/generate/social-commerce.js";
import { writeJsonl } from "../../../tools/generate/write-jsonl.js";
import { info } from "./log.js";
import { COUNTERS_SPECS, OUT, ROOT } from "./paths.js";

/**
 * The counters stage's workload (bench/README.md): a seeded stream over the counting domain of
 * bench/counters/loyalty.yaml, the totals its tables must hold once it is applied, and the plain
 * twin of the specs (the same specs without `combine:`).
 */

/** The share of lines that deliver an earlier event again (same line, same event_id, later). */
export const REDELIVERY_SHARE = 0.03;
/** A redelivered event is one of the last this many distinct events (a producer's retry comes soon after). */
export const REDELIVERY_WINDOW = 20_000;
/** Members: one per this many events (20,000 for the default 200,000). */
const EVENTS_PER_MEMBER = 10;
/** Carts: one per this many events (10,000 for the default 200,000). */
const EVENTS_PER_CART = 20;
/** Most cart events go to one of the most recent carts (a cart is filled, then left). */
const ACTIVE_CARTS = 500;
const SKUS = 300;
const TIERS = ["bronze", "silver", "gold", "platinum"] as const;
const START_MS = Date.UTC(2025, 0, 1);

/** The event types of the domain and their weights (in % of the distinct events). */
const MIX = [
  ["loyalty.joined", 10],
  ["loyalty.points_earned", 35],
  ["loyalty.points_redeemed", 8],
  ["subscription.renewed", 5],
  ["cart.created", 5],
  ["cart.item_added", 29],
  ["cart.item_removed", 8],
] as const;
export type CountingType = (typeof MIX)[number][0];
const MIX_TOTAL = MIX.reduce((a, [, w]) => a + w, 0);

/**
 * What the tables hold once the stream is applied with the counting specs, each event counted once:
 * computed by the generator from the distinct events (a redelivery adds nothing).
 */
export interface CountingTotals {
  /** Lines of the stream, redeliveries included. */
  events: number;
  /** Lines that deliver an earlier event again. */
  redelivered: number;
  /** Distinct events per type. */
  by_type: Record<CountingType, number>;
  /** Rows of loyalty_accounts, carts and cart_lines. */
  members: number;
  carts: number;
  cart_lines: number;
  /** SUM(points): points earned − points redeemed. */
  points: number;
  /** SUM(renewals): the renewals. */
  renewals: number;
  /** SUM(largest_order) in cents: per member, its largest order (the max mark). */
  largest_order_cents: number;
  /** SUM(quantity) of cart_lines: quantities added − quantities removed. */
  quantity: number;
  /** Rows of the companions <table>__counted: one per counting action of a distinct event. */
  counted: { loyalty_accounts: number; cart_lines: number };
}

function emptyTotals(): CountingTotals {
  return {
    events: 0,
    redelivered: 0,
    by_type: Object.fromEntries(MIX.map(([t]) => [t, 0])) as Record<CountingType, number>,
    members: 0,
    carts: 0,
    cart_lines: 0,
    points: 0,
    renewals: 0,
    largest_order_cents: 0,
    quantity: 0,
    counted: { loyalty_accounts: 0, cart_lines: 0 },
  };
}

interface Member {
  readonly id: string;
  balance: number;
  largestCents: number;
}

interface Cart {
  readonly id: string;
  /** sku → quantity of its line now. */
  readonly lines: Map<string, number>;
}

const cents = (n: number) => (n / 100).toFixed(2);

/**
 * The counters stream of `count` lines (seed `seed`): a pure function of both, like the Social
 * Commerce generator. Every step either delivers one of the last REDELIVERY_WINDOW distinct events
 * again (REDELIVERY_SHARE of the lines: the same envelope, so the same line) or draws a new event by
 * the weights of MIX among those possible now: members join (until one per EVENTS_PER_MEMBER events),
 * earn points (with an order total, the max mark), redeem at most their balance, renew; carts are
 * created for a member, get lines added (a sku again adds to its line) and removed (at most what the
 * line holds). Iterating fills `totals` anew. The order of random draws is the stream.
 */
export class CountingStream implements Iterable<Envelope> {
  /** Complete once the stream was iterated to its end. */
  totals: CountingTotals = emptyTotals();

  constructor(
    readonly count: number,
    readonly seed: number,
  ) {}

  *[Symbol.iterator](): Generator<Envelope> {
    const rng = new Rng(this.seed);
    const totals = emptyTotals();
    this.totals = totals;
    const maxMembers = Math.max(1, Math.ceil(this.count / EVENTS_PER_MEMBER));
    const maxCarts = Math.max(1, Math.ceil(this.count / EVENTS_PER_CART));
    const prices = Array.from({ length: SKUS }, () => rng.int(199, 9999));
    const members: Member[] = [];
    const carts: Cart[] = [];
    const recent: Envelope[] = []; // ring of the last REDELIVERY_WINDOW distinct events
    let distinct = 0;
    let clock = START_MS;

    const envelope = (event_type: CountingType, entity_id: string, data: Record<string, unknown>) => {
      clock += rng.int(1, 2000);
      totals.by_type[event_type]++;
      return {
        event_type,
        event_id: rng.uuid(),
        timestamp: new Date(clock).toISOString(),
        entity_id,
        data,
      };
    };
    const join = (): Envelope => {
      const m: Member = { id: `m-${members.length + 1}`, balance: 0, largestCents: 0 };
      members.push(m);
      totals.members++;
      return envelope("loyalty.joined", m.id, { tier: rng.pick(TIERS) });
    };
    const earn = (m: Member): Envelope => {
      const points = rng.int(1, 500);
      const orderCents = points * 50 + rng.int(0, 49);
      m.balance += points;
      totals.points += points;
      if (orderCents > m.largestCents) {
        totals.largest_order_cents += orderCents - m.largestCents;
        m.largestCents = orderCents;
      }
      totals.counted.loyalty_accounts++;
      return envelope("loyalty.points_earned", m.id, { points, order_total: cents(orderCents) });
    };
    const newCart = (): Envelope => {
      const c: Cart = { id: `c-${carts.length + 1}`, lines: new Map() };
      carts.push(c);
      totals.carts++;
      return envelope("cart.created", c.id, { user_id: rng.pick(members).id });
    };
    const someCart = (): Cart =>
      rng.chance(0.9)
        ? carts[rng.int(Math.max(0, carts.length - ACTIVE_CARTS), carts.length - 1)]!
        : rng.pick(carts);
    const add = (c: Cart): Envelope => {
      const sku =
        c.lines.size > 0 && rng.chance(0.35)
          ? rng.pick([...c.lines.keys()])
          : `SKU-${String(rng.int(1, SKUS)).padStart(4, "0")}`;
      const qty = rng.int(1, 3);
      const before = c.lines.get(sku);
      if (before === undefined) totals.cart_lines++;
      c.lines.set(sku, (before ?? 0) + qty);
      totals.quantity += qty;
      totals.counted.cart_lines++;
      const unit_price = cents(prices[Number(sku.slice(4)) - 1]!);
      return envelope("cart.item_added", c.id, { sku, qty, unit_price });
    };

    /** A new event: the type drawn by MIX, or the nearest possible one. */
    const next = (): Envelope => {
      let r = rng.int(0, MIX_TOTAL - 1);
      let type: CountingType = MIX[0][0];
      for (const [t, w] of MIX) {
        if (r < w) {
          type = t;
          break;
        }
        r -= w;
      }
      if (members.length === 0) return join();
      switch (type) {
        case "loyalty.joined":
          return members.length < maxMembers ? join() : earn(rng.pick(members));
        case "loyalty.points_earned":
          return earn(rng.pick(members));
        case "loyalty.points_redeemed": {
          const m = rng.pick(members);
          if (m.balance < 10) return earn(m);
          const points = rng.int(10, Math.min(m.balance, 500));
          m.balance -= points;
          totals.points -= points;
          totals.counted.loyalty_accounts++;
          return envelope("loyalty.points_redeemed", m.id, { points });
        }
        case "subscription.renewed": {
          const i = rng.int(0, members.length - 1);
          totals.renewals++;
          totals.counted.loyalty_accounts++;
          return envelope("subscription.renewed", `sub-${i + 1}`, { user_id: members[i]!.id });
        }
        case "cart.created":
          return carts.length < maxCarts || carts.length === 0 ? newCart() : add(someCart());
        case "cart.item_added":
          return carts.length === 0 ? newCart() : add(someCart());
        case "cart.item_removed": {
          if (carts.length === 0) return newCart();
          const c = someCart();
          const held = [...c.lines].filter(([, q]) => q > 0);
          if (held.length === 0) return add(c);
          const [sku, q] = rng.pick(held);
          const qty = rng.int(1, q);
          c.lines.set(sku, q - qty);
          totals.quantity -= qty;
          totals.counted.cart_lines++;
          return envelope("cart.item_removed", c.id, { sku, qty });
        }
      }
    };

    for (let i = 0; i < this.count; i++) {
      totals.events++;
      if (recent.length > 0 && rng.chance(REDELIVERY_SHARE)) {
        const back = rng.int(1, recent.length);
        totals.redelivered++;
        yield recent[(distinct - back) % REDELIVERY_WINDOW]!;
        continue;
      }
      const e = next();
      if (recent.length < REDELIVERY_WINDOW) recent.push(e);
      else recent[distinct % REDELIVERY_WINDOW] = e;
      distinct++;
      yield e;
    }
  }
}

/** The stream's file and the totals of the same generation. */
export interface CountersStream {
  readonly file: string;
  readonly totals: CountingTotals;
}

/**
 * The counters stream as a JSONL file, cached as bench/out/counters-<count>-<seed>.jsonl with its
 * totals beside it (`.totals.json`, written before the stream is renamed into place, so a cached
 * stream always has the totals of its own generation).
 */
export async function ensureCountersStream(count: number, seed: number): Promise<CountersStream> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `counters-${count}-${seed}.jsonl`);
  const totalsFile = `${file.slice(0, -".jsonl".length)}.totals.json`;
  if (existsSync(file) && existsSync(totalsFile))
    return { file, totals: JSON.parse(readFileSync(totalsFile, "utf8")) as CountingTotals };
  info(`generating ${count} counter events (seed ${seed}) → ${relative(ROOT, file)}`);
  const tmp = `${file}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  const stream = new CountingStream(count, seed);
  const written = await writeJsonl(stream, out);
  await new Promise<void>((res, rej) => {
    out.on("error", rej);
    out.end(res);
  });
  if (written !== count) throw new Error(`generated ${written} of ${count} counter events`);
  writeFileSync(totalsFile, `${JSON.stringify(stream.totals, null, 2)}\n`);
  renameSync(tmp, file);
  return { file, totals: stream.totals };
}

/**
 * The plain twin of a counting spec's text: every `combine:` and `aggregate:` key removed, so that
 * each such value replaces the column's and no column is kept from child rows (same tables, same
 * events, same paths; no counting, hence no __counted companions). Comments are dropped (they describe the counting file); a header says where it
 * comes from.
 */
export function plainSpecText(counting: string, from = "bench/counters/loyalty.yaml"): string {
  const doc = parseDocument(counting);
  if (doc.errors.length) throw new Error(`${from}: ${doc.errors[0]!.message}`);
  let removed = 0;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && (pair.key.value === "combine" || pair.key.value === "aggregate")) {
        removed++;
        return visit.REMOVE;
      }
      return undefined;
    },
    Node(_, node) {
      node.comment = null;
      node.commentBefore = null;
      return undefined;
    },
  });
  if (removed === 0) throw new Error(`${from} has no combine: to remove`);
  doc.commentBefore = ` Generated by the bench's counters stage from ${from}: every combine: and aggregate: removed.`;
  doc.comment = null;
  return doc.toString();
}

/** Writes the plain twin of bench/counters/ into bench/out/counters/plain/ and returns that folder. */
export function writePlainSpecs(): string {
  const dir = join(OUT, "counters", "plain");
  mkdirSync(dir, { recursive: true });
  const name = "loyalty.yaml";
  const text = plainSpecText(readFileSync(join(COUNTERS_SPECS, name), "utf8"), `bench/counters/${name}`);
  writeFileSync(join(dir, name), text);
  return dir;
}

/** What the counting replay's tables hold: the figures of CountingTotals a query can read back. */
export type TableTotals = Pick<
  CountingTotals,
  "members" | "carts" | "cart_lines" | "points" | "renewals" | "largest_order_cents" | "quantity" | "counted"
>;

/** The totals the tables must hold (the generator's), as TableTotals. */
export function expectedTableTotals(t: CountingTotals): TableTotals {
  const { members, carts, cart_lines, points, renewals, largest_order_cents, quantity, counted } = t;
  return { members, carts, cart_lines, points, renewals, largest_order_cents, quantity, counted };
}

/** Where the tables differ from the generator's totals: `name: measured ≠ expected`, none when equal. */
export function compareTotals(expected: TableTotals, measured: TableTotals): string[] {
  const flat = (t: TableTotals): Record<string, number> => {
    const { counted, ...rest } = t;
    return {
      ...rest,
      "loyalty_accounts__counted rows": counted.loyalty_accounts,
      "cart_lines__counted rows": counted.cart_lines,
    };
  };
  const e = flat(expected);
  const m = flat(measured);
  return Object.keys(e)
    .filter((k) => m[k] !== e[k])
    .map((k) => `${k}: ${m[k]} ≠ ${e[k]}`);
}
