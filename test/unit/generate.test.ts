import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { type Envelope, EVENT_TYPES, generateEvents } from "../../tools/generate/social-commerce.js";
import { writeJsonl } from "../../tools/generate/write-jsonl.js";

const examples: Envelope[] = readFileSync(
  new URL("../fixtures/events/examples.jsonl", import.meta.url),
  "utf8",
)
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as Envelope);
const exampleByType = new Map(examples.map((e) => [e.event_type, e]));

const START = "2025-01-01T00:00:00Z";
const stream: Envelope[] = [...generateEvents({ count: 5000, seed: 7 })];

type Doc = Record<string, unknown>;
const obj = (v: unknown): Doc => v as Doc;
const str = (v: unknown): string => v as string;
const num = (v: unknown): number => v as number;

const HEX24 = /^[0-9a-f]{24}$/;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?(Z|[+-]\d\d:\d\d)$/;

describe("generateEvents: determinism and size", () => {
  it("gives identical output for the same seed and different output for another seed", () => {
    const a = JSON.stringify([...generateEvents({ count: 2000, seed: 42 })]);
    const b = JSON.stringify([...generateEvents({ count: 2000, seed: 42 })]);
    const c = JSON.stringify([...generateEvents({ count: 2000, seed: 43 })]);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it("defaults to seed 1 and a shorter stream is a prefix of a longer one", () => {
    const short = [...generateEvents({ count: 300 })];
    const long = [...generateEvents({ count: 600, seed: 1 })];
    expect(JSON.stringify(long.slice(0, 300))).toBe(JSON.stringify(short));
  });

  it("yields exactly count envelopes", () => {
    for (const count of [0, 1, 5, 14, 15, 16, 1234]) {
      expect([...generateEvents({ count, seed: 3 })]).toHaveLength(count);
    }
    expect(stream).toHaveLength(5000);
  });

  it("rejects a negative count and an invalid start", () => {
    expect(() => [...generateEvents({ count: -1 })]).toThrow(RangeError);
    expect(() => [...generateEvents({ count: Number.NaN })]).toThrow(RangeError);
    expect(() => [...generateEvents({ count: 1, start: "yesterday" })]).toThrow(RangeError);
  });

  it("starts at the given start instant", () => {
    const [first] = generateEvents({ count: 1, start: "2024-06-01T12:00:00Z" });
    expect(Date.parse(first!.timestamp)).toBe(Date.parse("2024-06-01T12:00:00Z"));
    expect(Date.parse(stream[0]!.timestamp)).toBe(Date.parse(START));
  });
});

describe("generateEvents: payload shapes", () => {
  it("covers all 44 event types of the catalog within 5000 events", () => {
    expect(exampleByType.size).toBe(44);
    expect(new Set(stream.map((e) => e.event_type))).toEqual(new Set(exampleByType.keys()));
    expect([...EVENT_TYPES].sort()).toEqual([...exampleByType.keys()].sort());
  });

  it("gives every event's data exactly the top-level keys of the example of its type", () => {
    for (const e of stream) {
      const example = exampleByType.get(e.event_type);
      expect(example, e.event_type).toBeDefined();
      expect(Object.keys(e.data).sort(), e.event_type).toEqual(Object.keys(example!.data).sort());
    }
  });

  it("matches the examples' nested shapes (null in either stands for any value)", () => {
    const errors = new Set<string>();
    for (const e of stream) shapeErrors(e.data, exampleByType.get(e.event_type)!.data, e.event_type, errors);
    expect([...errors]).toEqual([]);
  });

  it("writes well-formed envelopes", () => {
    const eventIds = new Set<string>();
    for (const e of stream) {
      expect(Object.keys(e)).toEqual(["event_type", "event_id", "timestamp", "entity_id", "data"]);
      expect(e.event_id).toMatch(UUID_V4);
      expect(e.entity_id).toMatch(HEX24);
      expect(e.timestamp).toMatch(ISO);
      eventIds.add(e.event_id);
    }
    expect(eventIds.size).toBe(stream.length);
  });

  it("keeps timestamps non-decreasing and mixes the formats of the examples", () => {
    let previous = Number.NEGATIVE_INFINITY;
    for (const e of stream) {
      const t = Date.parse(e.timestamp);
      expect(t, e.timestamp).toBeGreaterThanOrEqual(previous);
      previous = t;
    }
    const share = (re: RegExp) => stream.filter((e) => re.test(e.timestamp)).length / stream.length;
    expect(share(/\.\d{6}Z$/)).toBeGreaterThan(0.5);
    expect(share(/[+-]\d\d:\d\d$/)).toBeGreaterThan(0.02);
    expect(share(/:\d\dZ$/)).toBeGreaterThan(0.02);
  });

  it("keeps strings within the columns analysts expect", () => {
    const violations = new Set<string>();
    let nonAscii = 0;
    for (const e of stream) {
      walk(e.data, (key, value) => {
        for (const [applies, ok, rule] of VALUE_RULES) {
          if (applies(key, value) && !ok(value))
            violations.add(`${e.event_type} ${key}=${JSON.stringify(value)}: ${rule}`);
        }
        if (typeof value === "string" && /[^\x20-\x7e]/.test(value)) nonAscii++;
      });
    }
    expect([...violations].slice(0, 20)).toEqual([]);
    expect(nonAscii).toBeGreaterThan(0);
    const emoji = /\p{Extended_Pictographic}/u;
    expect(stream.some((e) => e.event_type === "post.created" && emoji.test(str(e.data.text_content)))).toBe(
      true,
    );
  });

  it("keeps product variants a map keyed by variant key and order items an array", () => {
    for (const e of stream) {
      if (e.event_type.startsWith("product.") && "variants" in e.data) {
        const variants = obj(e.data.variants);
        expect(Array.isArray(variants)).toBe(false);
        expect(Object.keys(variants).length).toBeLessThanOrEqual(4);
        for (const key of Object.keys(variants)) expect(key).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
      }
      if (e.event_type === "order.created") expect(Array.isArray(e.data.items)).toBe(true);
      if (e.event_type.startsWith("post.") && "media" in e.data)
        expect(Array.isArray(e.data.media)).toBe(true);
    }
  });
});

describe("generateEvents: lifecycles", () => {
  it("creates an entity before any other event about it and sends nothing after its end", () => {
    const kind = new Map<string, string>();
    const ended = new Set<string>();
    for (const e of stream) {
      const topic = e.event_type.split(".")[0]!;
      if (CREATES.has(e.event_type)) {
        expect(kind.has(e.entity_id), `${e.event_type} ${e.entity_id} created twice`).toBe(false);
        kind.set(e.entity_id, topic);
      } else {
        expect(kind.get(e.entity_id), `${e.event_type} before creation`).toBe(topic);
        expect(ended.has(e.entity_id), `${e.event_type} after the end`).toBe(false);
      }
      if (ENDS.has(e.event_type)) ended.add(e.entity_id);
    }
  });

  it("references only live entities and follows the status machines", () => {
    const m = new Model();
    for (const e of stream) m.apply(e);
    expect(m.violations).toEqual([]);
    expect(m.orders.size).toBeGreaterThan(0);
  });

  it("holds the same invariants for other seeds and a longer stream", () => {
    for (const seed of [1, 2, 99]) {
      const m = new Model();
      for (const e of generateEvents({ count: 20_000, seed })) m.apply(e);
      expect(m.violations, `seed ${seed}`).toEqual([]);
    }
  });
});

describe("writeJsonl", () => {
  it("writes one JSON object per line in chunks of about 64 KB and returns the count", async () => {
    const sink = new Sink({ highWaterMark: 16 * 1024 });
    const n = await writeJsonl(generateEvents({ count: 3000, seed: 5 }), sink);
    expect(n).toBe(3000);
    const lines = sink.text().split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(3000);
    expect(lines.map((l) => JSON.parse(l) as Envelope)).toEqual([
      ...generateEvents({ count: 3000, seed: 5 }),
    ]);
    expect(sink.chunks.length).toBeGreaterThan(5);
    expect(sink.chunks.length).toBeLessThan(3000 / 10);
    expect(sink.waitedForDrain).toBe(true);
  });

  it("resolves early without throwing when the reader goes away (EPIPE)", async () => {
    const sink = new Sink({ failAfterChunks: 3, code: "EPIPE" });
    const n = await writeJsonl(generateEvents({ count: 100_000, seed: 5 }), sink);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(100_000);
  });

  it("rejects on other stream errors", async () => {
    const sink = new Sink({ failAfterChunks: 1, code: "ENOSPC" });
    await expect(writeJsonl(generateEvents({ count: 10_000, seed: 5 }), sink)).rejects.toThrow(/ENOSPC/);
  });
});

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────

const CREATES = new Set([
  "user.created",
  "user.registered",
  "supplier.created",
  "supplier.registered",
  "product.created",
  "order.created",
  "post.created",
  "promotion.created",
  "community.created",
]);
/** After these nothing more is said about the entity (completed orders are final in the generator too). */
const ENDS = new Set([
  "user.deleted",
  "supplier.deleted",
  "product.deleted",
  "post.deleted",
  "order.completed",
  "order.cancelled",
  "promotion.rejected",
  "promotion.ended",
  "promotion.cancelled",
]);
const ID_KEYS = new Set([
  "user_id",
  "supplier_id",
  "product_id",
  "author_id",
  "community_id",
  "admin_id",
  "reviewer_id",
  "hidden_by",
  "deleted_by",
  "promotion_id",
  "customer_id",
]);
const NAME_KEYS = new Set([
  "display_name",
  "name",
  "legal_name",
  "dba_name",
  "community_name",
  "company_name",
  "contact_person_name",
  "recipient_name",
  "title",
  "business_name",
]);
const EMAIL_KEYS = new Set(["primary_email", "email", "contact_person_email"]);

type Rule = [
  applies: (key: string, value: unknown) => boolean,
  ok: (value: unknown) => boolean,
  rule: string,
];
const isString = (_k: string, v: unknown) => typeof v === "string";
const text = (v: unknown) => String(v);
/** What analysts' columns expect of the values in a payload (key names as in the examples). */
const VALUE_RULES: Rule[] = [
  [isString, (v) => !text(v).includes("\u0000"), "no NUL"],
  [isString, (v) => Buffer.from(text(v), "utf8").toString("utf8") === v, "valid UTF-8"],
  [(k, v) => isString(k, v) && ID_KEYS.has(k), (v) => HEX24.test(text(v)), "24-hex id"],
  [
    (k, v) => isString(k, v) && NAME_KEYS.has(k),
    (v) => text(v).length > 0 && text(v).length < 100,
    "name < 100",
  ],
  [(k) => EMAIL_KEYS.has(k), (v) => /^[^@\s]{1,64}@[^@\s]{1,189}$/.test(text(v)), "e-mail < 255"],
  [(k) => k === "slug", (v) => /^[a-z0-9-]{1,199}$/.test(text(v)), "slug < 200"],
  [
    (k) => k === "order_number",
    (v) => /^ORD-\d{8}-\d{4,}$/.test(text(v)) && text(v).length < 50,
    "order number",
  ],
  [(k) => k === "status", (v) => /^[a-z_]{2,20}$/.test(text(v)), "short lowercase status"],
  [(k, v) => isString(k, v) && /(_at|_date)$/.test(k), (v) => ISO.test(text(v)), "ISO-8601 timestamp"],
  [
    (k, v) => typeof v === "number" && /_cents$|_count$|_minutes$|^quantity$|^version$/.test(k),
    (v) => Number.isInteger(v) && num(v) >= 0,
    "non-negative integer",
  ],
];

function walk(value: unknown, visit: (key: string, value: unknown) => void, key = ""): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, visit, key);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      visit(k, v);
      walk(v, visit, k);
    }
  }
}

/**
 * Structural comparison with the example: same keys at every level, same JSON kinds; an empty example
 * array or a null on either side says nothing. Product `attributes` is free-form, `variants` a map.
 */
function shapeErrors(ours: unknown, ref: unknown, path: string, errors: Set<string>): void {
  if (ours === null || ref === null) return;
  if (Array.isArray(ref)) {
    if (!Array.isArray(ours)) errors.add(`${path}: expected an array`);
    else if (ref.length > 0) for (const v of ours) shapeErrors(v, ref[0], `${path}[]`, errors);
    return;
  }
  if (typeof ref !== "object") {
    if (typeof ours !== typeof ref) errors.add(`${path}: expected ${typeof ref}, got ${typeof ours}`);
    return;
  }
  if (typeof ours !== "object" || Array.isArray(ours)) {
    errors.add(`${path}: expected an object`);
    return;
  }
  const refDoc = ref as Doc;
  const ourDoc = ours as Doc;
  if (/^product\.\w+\.attributes$/.test(path)) {
    for (const [k, v] of Object.entries(ourDoc))
      if (typeof v !== "string") errors.add(`${path}.${k}: not a string`);
    return;
  }
  if (path.endsWith(".variants")) {
    const sample = Object.values(refDoc)[0];
    for (const [k, v] of Object.entries(ourDoc)) shapeErrors(v, sample, `${path}.<${k}>`, errors);
    return;
  }
  const ourKeys = Object.keys(ourDoc).sort().join(",");
  const refKeys = Object.keys(refDoc).sort().join(",");
  if (ourKeys !== refKeys) errors.add(`${path}: keys ${ourKeys} ≠ ${refKeys}`);
  for (const k of Object.keys(refDoc)) shapeErrors(ourDoc[k], refDoc[k], `${path}.${k}`, errors);
}

interface ProductModel {
  status: string;
  supplierId: string;
  variantKeys: Set<string>;
}
interface OrderModel {
  orderNumber: string;
  customerId: string;
  totalCents: number;
  itemCount: number;
}
interface PostModel {
  authorId: string;
  communityId: string;
  status: string;
}
interface CommunityModel {
  name: string;
  ownerId: string;
  members: Set<string>;
  count: number;
  status: string;
}

/** Replays the stream and checks that every event is plausible given what came before it. */
class Model {
  /** what went wrong, as readable sentences (the first 20) */
  readonly violations: string[] = [];
  readonly userEmail = new Map<string, string>();
  readonly suppliers = new Set<string>();
  readonly supplierProducts = new Map<string, Set<string>>();
  readonly products = new Map<string, ProductModel>();
  readonly orders = new Map<string, OrderModel>();
  readonly orderNumbers = new Set<string>();
  readonly posts = new Map<string, PostModel>();
  readonly promotions = new Map<string, string>();
  readonly communities = new Map<string, CommunityModel>();
  private at = "";

  apply(e: Envelope): void {
    const d = e.data;
    const [topic, action] = e.event_type.split(".") as [string, string];
    this.at = `${e.event_type} ${e.entity_id}`;
    const handlers: Record<string, (action: string, id: string, d: Doc) => void> = {
      user: this.user,
      supplier: this.supplier,
      product: this.product,
      order: this.order,
      post: this.post,
      promotion: this.promotion,
      community: this.community,
    };
    const handler = handlers[topic];
    if (handler) handler.call(this, action, e.entity_id, d);
    else this.check(false, "unknown topic");
  }

  private check(ok: boolean, message: string): void {
    if (!ok && this.violations.length < 20) this.violations.push(`${this.at}: ${message}`);
  }

  private same(actual: unknown, expected: unknown, what: string): void {
    this.check(actual === expected, `${what} is ${String(actual)}, expected ${String(expected)}`);
  }

  private liveUser(id: unknown, role: string): void {
    this.check(this.userEmail.has(str(id)), `${role} ${String(id)} is not a live user`);
  }

  private user(action: string, id: string, d: Doc): void {
    switch (action) {
      case "created":
      case "registered":
      case "updated":
        this.userEmail.set(id, str(obj(d.contact_info).primary_email));
        return;
      case "deleted":
        this.same(d.user_id, id, "user_id");
        this.userEmail.delete(id);
        return;
      case "password_reset":
        return;
      default: // login, email_verified, account_locked, password_reset_requested carry the current e-mail
        this.same(d.email, this.userEmail.get(id), "email");
    }
  }

  private supplier(action: string, id: string, d: Doc): void {
    if (action === "created" || action === "registered") {
      this.suppliers.add(id);
      this.supplierProducts.set(id, new Set());
      return;
    }
    if (action === "deleted") {
      this.same(d.supplier_id, id, "supplier_id");
      this.same(this.supplierProducts.get(id)?.size, 0, "number of its products");
      this.suppliers.delete(id);
    }
  }

  private product(action: string, id: string, d: Doc): void {
    const transitions: Record<string, [string[], string]> = {
      published: [["draft"], "active"],
      out_of_stock: [["active"], "out_of_stock"],
      restored: [["out_of_stock", "discontinued"], "active"],
      discontinued: [["active", "out_of_stock"], "discontinued"],
      deleted: [["draft", "discontinued"], "deleted"],
    };
    if (action === "created") {
      const supplierId = str(d.supplier_id);
      this.check(this.suppliers.has(supplierId), `supplier ${supplierId} is not live`);
      this.check(d.status === "draft" || d.status === "active", `created as ${String(d.status)}`);
      this.products.set(id, { status: str(d.status), supplierId, variantKeys: new Set() });
      this.supplierProducts.get(supplierId)?.add(id);
    }
    const p = this.products.get(id)!;
    const transition = transitions[action];
    if (transition) {
      const [from, to] = transition;
      this.check(from.includes(p.status), `not allowed from ${p.status}`);
      p.status = to;
    }
    if (action === "deleted") {
      this.products.delete(id);
      this.supplierProducts.get(p.supplierId)?.delete(id);
    }
    this.same(d.supplier_id, p.supplierId, "supplier_id");
    if ("variants" in d) {
      this.same(d.status, p.status, "status");
      p.variantKeys = new Set(Object.keys(obj(d.variants)));
    }
  }

  private order(action: string, id: string, d: Doc): void {
    if (action !== "created") {
      const o = this.orders.get(id)!;
      this.same(d.order_number, o.orderNumber, "order_number");
      this.same(d.customer_id, o.customerId, "customer_id");
      this.same(d.total_cents, o.totalCents, "total_cents");
      if (action === "completed") this.same(d.item_count, o.itemCount, "item_count");
      return;
    }
    const customer = obj(d.customer);
    this.liveUser(customer.user_id, "customer");
    this.same(customer.email, this.userEmail.get(str(customer.user_id)), "customer email");
    const items = d.items as Doc[];
    this.check(items.length >= 1 && items.length <= 5, `${items.length} items`);
    let subtotal = 0;
    let quantity = 0;
    for (const item of items) {
      const snapshot = obj(item.product_snapshot);
      const p = this.products.get(str(snapshot.product_id));
      this.same(p?.status, "active", `status of product ${String(snapshot.product_id)}`);
      this.same(snapshot.supplier_id, p?.supplierId, "item supplier_id");
      const variant = item.variant_snapshot as Doc | null;
      if (!p || p.variantKeys.size === 0)
        this.same(variant, null, "variant_snapshot of a product without variants");
      else
        this.check(
          p.variantKeys.has(str(variant?.variant_key)),
          `unknown variant ${String(variant?.variant_key)}`,
        );
      this.check(num(item.quantity) >= 1, `quantity ${String(item.quantity)}`);
      this.same(item.total_cents, num(item.quantity) * num(item.unit_price_cents), "item total_cents");
      subtotal += num(item.total_cents);
      quantity += num(item.quantity);
    }
    const t = obj(d.totals);
    const total = subtotal - num(t.discount_cents) + num(t.shipping_cents) + num(t.tax_cents);
    this.same(t.subtotal_cents, subtotal, "subtotal_cents");
    this.same(t.total_cents, total, "total_cents");
    this.check(total >= 0, "negative total");
    this.same(d.item_count, quantity, "item_count");
    if (d.promotion_id === null) this.same(t.discount_cents, 0, "discount without promotion");
    else
      this.check(
        ["approved", "active"].includes(this.promotions.get(str(d.promotion_id)) ?? ""),
        "promotion not running",
      );
    const orderNumber = str(d.order_number);
    this.check(!this.orderNumbers.has(orderNumber), `duplicate order number ${orderNumber}`);
    this.orderNumbers.add(orderNumber);
    this.orders.set(id, {
      orderNumber,
      customerId: str(customer.user_id),
      totalCents: total,
      itemCount: quantity,
    });
  }

  private post(action: string, id: string, d: Doc): void {
    if (action === "created") {
      const author = obj(d.author);
      this.liveUser(author.user_id, "author");
      const c = this.communities.get(str(d.community_id));
      this.check(c !== undefined && c.status !== "suspended", `community ${String(d.community_id)} not open`);
      this.same(d.community_name, c?.name, "community_name");
      for (const p of d.tagged_products as string[])
        this.check(this.products.has(p), `tagged product ${p} not live`);
      this.posts.set(id, {
        authorId: str(author.user_id),
        communityId: str(d.community_id),
        status: str(d.status),
      });
      return;
    }
    const p = this.posts.get(id)!;
    if ("author" in d) {
      this.same(obj(d.author).user_id, p.authorId, "author");
      this.same(d.community_id, p.communityId, "community_id");
      if (action === "published") this.same(p.status, "draft", "status before publishing");
      else this.same(d.status, p.status, "status");
      p.status = str(d.status);
      return;
    }
    this.same(d.author_id, p.authorId, "author_id");
    this.same(d.community_id, p.communityId, "community_id");
    for (const k of ["hidden_by", "admin_id", "deleted_by"]) if (k in d) this.liveUser(d[k], k);
    if (action === "hidden") p.status = "hidden";
    if (action === "deleted") this.posts.delete(id);
  }

  private promotion(action: string, id: string, d: Doc): void {
    const transitions: Record<string, [string[], string | null]> = {
      submitted: [["draft"], "pending_review"],
      approved: [["pending_review"], "approved"],
      rejected: [["pending_review"], null],
      paused: [["approved", "active"], "paused"],
      resumed: [["paused"], "active"],
      ended: [["approved", "active", "paused"], null],
      cancelled: [["draft", "pending_review", "approved", "active", "paused"], null],
    };
    if (action === "created") {
      const supplierId = str(obj(d.supplier).supplier_id);
      this.check(this.suppliers.has(supplierId), `supplier ${supplierId} not live`);
      for (const p of d.product_ids as string[])
        this.same(this.products.get(p)?.supplierId, supplierId, `supplier of ${p}`);
      this.promotions.set(id, "draft");
      return;
    }
    const [from, to] = transitions[action]!;
    const status = this.promotions.get(id) ?? "";
    this.check(from.includes(status), `not allowed from ${status}`);
    if ("reviewer_id" in d) this.liveUser(d.reviewer_id, "reviewer");
    if (to) this.promotions.set(id, to);
    else this.promotions.delete(id);
  }

  private community(action: string, id: string, d: Doc): void {
    if (action === "created") {
      const owner = str(obj(d.owner).user_id);
      this.liveUser(owner, "owner");
      this.same(obj(d.stats).member_count, 1, "initial member_count");
      this.communities.set(id, {
        name: str(d.name),
        ownerId: owner,
        members: new Set([owner]),
        count: 1,
        status: "active",
      });
      return;
    }
    const c = this.communities.get(id)!;
    this.check(c.status !== "suspended", "event after suspension");
    this.same(d.community_name, c.name, "community_name");
    if ("admin_id" in d) this.liveUser(d.admin_id, "admin");
    const userId = str(d.user_id);
    switch (action) {
      case "member_joined":
        this.liveUser(userId, "joining user");
        this.check(!c.members.has(userId), `${userId} is already a member`);
        c.members.add(userId);
        this.same(d.member_count, ++c.count, "member_count");
        break;
      case "member_left":
        this.liveUser(userId, "leaving user");
        this.check(c.members.has(userId) && userId !== c.ownerId, `${userId} cannot leave`);
        c.members.delete(userId);
        this.same(d.member_count, --c.count, "member_count");
        this.check(c.count >= 1, "member_count below 1");
        break;
      case "verified":
        this.same(c.status, "active", "status before verification");
        c.status = "verified";
        break;
      case "suspended":
        c.status = "suspended";
        break;
    }
  }
}

/** A Writable that records chunks, acknowledges them asynchronously, and can fail on demand. */
class Sink extends Writable {
  readonly chunks: string[] = [];
  waitedForDrain = false;
  private readonly failAfterChunks: number;
  private readonly code: string;

  constructor(opts: { highWaterMark?: number; failAfterChunks?: number; code?: string }) {
    super({ highWaterMark: opts.highWaterMark ?? 16 * 1024, decodeStrings: false });
    this.failAfterChunks = opts.failAfterChunks ?? Number.POSITIVE_INFINITY;
    this.code = opts.code ?? "EPIPE";
    this.on("drain", () => {
      this.waitedForDrain = true;
    });
  }

  override _write(chunk: string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.chunks.length >= this.failAfterChunks) {
      setImmediate(() => callback(Object.assign(new Error(`write ${this.code}`), { code: this.code })));
      return;
    }
    if (chunk.length > 0) this.chunks.push(chunk);
    setImmediate(() => callback());
  }

  text(): string {
    return this.chunks.join("");
  }
}
