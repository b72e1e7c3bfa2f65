import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, EXAMPLES } from "../helpers/cli.js";
import { createTestDb, type TestDb } from "../helpers/db.js";

type Json = Record<string, unknown>;
const examples: Json[] = readFileSync(EXAMPLES, "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l));
const base = (type: string): Json => structuredClone(examples.find((e) => e.event_type === type)!);

let n = 0;
/** A fresh copy of an example with its own ids, so every good event creates its own row. */
function fresh(type: string, mutate?: (e: Json & { data: Json }) => void): Json {
  const e = base(type) as Json & { data: Json };
  n++;
  e.event_id = `00000000-0000-4000-9000-${String(n).padStart(12, "0")}`;
  e.entity_id = `77a1f0000000000000${String(n).padStart(6, "0")}`;
  if (type === "order.created") (e.data as Json).order_number = `ORD-T-${n}`;
  mutate?.(e);
  return e;
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { x: v };
  return v;
}

/** The first good event: an order whose order_number a bad event later tries to take over. */
const firstOrder = fresh("order.created");
const firstOrderNumber = (firstOrder.data as Json).order_number as string;

/** Each bad line: its bytes, and a piece of the reason it must be dead-lettered with. */
const bad: { name: string; line: Buffer; reason: string }[] = [];
const addBad = (name: string, line: string | Buffer, reason: string) =>
  bad.push({ name, line: typeof line === "string" ? Buffer.from(line) : line, reason });

addBad("truncated JSON", '{"event_type": "user.created", "event_id": "x"', "undecodable JSON");
addBad("not JSON", "hello world", "undecodable JSON");
addBad("JSON array", "[1,2,3]", "must be a JSON object");
addBad("JSON string", '"just a string"', "must be a JSON object");
for (const field of ["event_type", "event_id", "timestamp", "entity_id", "data"]) {
  const e = fresh("user.created");
  delete e[field];
  addBad(`missing ${field}`, JSON.stringify(e), `${field} is missing`);
}
addBad(
  "data is an array",
  JSON.stringify({ ...fresh("user.login"), data: [1] }),
  "data must be a JSON object",
);
addBad(
  "event_type is a number",
  JSON.stringify({ ...fresh("user.login"), event_type: 42 }),
  "event_type must be a non-empty string",
);
addBad(
  "empty event_type",
  JSON.stringify({ ...fresh("user.login"), event_type: "" }),
  "event_type must be a non-empty string",
);
addBad(
  "impossible envelope timestamp",
  JSON.stringify({ ...fresh("user.login"), timestamp: "2025-02-30T10:00:00Z" }),
  "not a valid date",
);
addBad("garbage timestamp", JSON.stringify({ ...fresh("user.login"), timestamp: "yesterday" }), "timestamp");
addBad(
  "wrong type: total_cents as a string",
  JSON.stringify(fresh("order.created", (e) => ((e.data.totals as Json).total_cents = "7319"))),
  "orders.total_cents",
);
addBad(
  "out-of-range integer",
  JSON.stringify(fresh("order.created", (e) => ((e.data.totals as Json).total_cents = 99999999999))),
  "out of range",
);
addBad(
  "fractional quantity",
  JSON.stringify(fresh("order.created", (e) => (((e.data.items as Json[])[0] as Json).quantity = 1.5))),
  "order_items.quantity",
);
addBad(
  "over-long order_number",
  JSON.stringify(fresh("order.created", (e) => (e.data.order_number = "O".repeat(60)))),
  "longer than the column's 50",
);
addBad(
  "impossible date in data",
  JSON.stringify(fresh("user.created", (e) => (e.data.created_at = "2025-13-01T00:00:00Z"))),
  "users.created_at",
);
addBad(
  "items is not an array",
  JSON.stringify(fresh("order.created", (e) => (e.data.items = "two"))),
  "must be an array or an object",
);
addBad(
  "deeply nested JSON",
  JSON.stringify(fresh("user.password_reset", (e) => (e.data.deep = nested(200)))),
  "nested deeper than 32",
);
addBad(
  "a string longer than its column",
  JSON.stringify(fresh("user.created", (e) => ((e.data.profile as Json).display_name = "x".repeat(101)))),
  "longer than the column's 100",
);
addBad(
  "invalid UTF-8 bytes",
  Buffer.concat([
    Buffer.from(JSON.stringify(fresh("user.login")).slice(0, -3)),
    Buffer.from([0x22, 0xff, 0xfe, 0x22, 0x7d, 0x7d]),
  ]),
  "not valid UTF-8",
);
addBad(
  "lone surrogate",
  JSON.stringify(fresh("user.created", (e) => ((e.data.profile as Json).bio = "x"))).replace(
    '"bio":"x"',
    '"bio":"\\ud800"',
  ),
  "unpaired surrogate",
);
addBad(
  "null into a NOT NULL column",
  JSON.stringify(fresh("user.created", (e) => ((e.data.contact_info as Json).primary_email = null))),
  "users.email",
);
addBad(
  "null business key",
  JSON.stringify(fresh("order.cancelled", (e) => (e.data.order_number = null))),
  "order_number",
);
addBad(
  "boolean as a word",
  JSON.stringify(fresh("community.created", (e) => ((e.data.settings as Json).requires_approval = "yes"))),
  "expected a boolean",
);
addBad(
  "double as a word",
  JSON.stringify(fresh("post.created", (e) => ((e.data.stats as Json).engagement_rate = "high"))),
  "expected a number",
);
addBad(
  "over-long event_id",
  JSON.stringify({ ...fresh("user.login"), event_id: "e".repeat(40) }),
  "event_id",
);
addBad(
  "new user without display_name (MySQL would refuse the insert: refused before it)",
  JSON.stringify(fresh("user.created", (e) => delete (e.data.profile as Json).display_name)),
  "users.display_name ← $.data.profile.display_name: is missing, and the column is NOT NULL with no default",
);
addBad(
  "order_number of another order",
  JSON.stringify(fresh("order.created", (e) => (e.data.order_number = "ORD-T-1"))),
  "already belongs to row",
);

/** Good events: ordinary ones and tricky-but-valid values that must be stored verbatim. */
const metachars = `Robert'); DROP TABLE users;-- \\ " \` %_ ?`;
const good: Json[] = [
  firstOrder,
  fresh("user.created", (e) => ((e.data.profile as Json).display_name = metachars)),
  fresh(
    "user.created",
    (e) => ((e.data.profile as Json).bio = "emoji 😀🚀 and 𝄞 (4-byte UTF-8) — Zoë, München"),
  ),
  fresh("post.created", (e) => (e.data.text_content = "New tee day ☀️ 👕")),
  // A NUL inside a string: MySQL stores it, so it is kept as sent.
  fresh("user.created", (e) => ((e.data.profile as Json).display_name = "Jane\u0000Smith")),
  fresh("user.login"),
  fresh("product.created"),
  fresh("community.created"),
  fresh("promotion.created"),
  fresh("supplier.created"),
];

describe("a stream of malformed events interleaved with good ones", () => {
  let db: TestDb;
  let summary: Json;
  let file: string;

  beforeAll(async () => {
    db = await createTestDb();
    // The first good event must come first (the unique-key conflict needs its order to exist).
    const lines: Buffer[] = [Buffer.from(JSON.stringify(good[0]))];
    bad.forEach((b, i) => {
      lines.push(b.line);
      const g = good[1 + (i % (good.length - 1))];
      if (i < good.length - 1) lines.push(Buffer.from(JSON.stringify(g)));
    });
    file = join(mkdtempSync(join(tmpdir(), "pj-")), "malformed.jsonl");
    writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from("\n")])));
    const r = cli(["replay", file, "--json", "--batch-size", "7"], { MYSQL_URL: db.url });
    expect(r.status, r.stderr).toBe(0);
    summary = JSON.parse(r.stdout);
  });
  afterAll(() => db.drop());

  it("has at least 25 bad events", () => {
    expect(bad.length).toBeGreaterThanOrEqual(25);
  });

  it("dead-letters every bad event with its reason, source and line", async () => {
    const letters = await db.rows<{ position: string; reason: string; source: string; payload: Buffer }>(
      "SELECT source, position, reason, payload FROM projector_dead_letters ORDER BY id",
    );
    expect(summary.dead_lettered).toBe(bad.length);
    expect(letters).toHaveLength(bad.length);
    const byPayload = new Map(letters.map((l) => [Buffer.from(l.payload).toString("hex"), l]));
    for (const b of bad) {
      const letter = byPayload.get(b.line.toString("hex"));
      expect(letter, `${b.name} is dead-lettered with its raw payload`).toBeDefined();
      expect(letter!.reason, b.name).toContain(b.reason);
      expect(letter!.source).toBe("malformed.jsonl");
      expect(letter!.position).toMatch(/^line \d+ #[0-9a-f]{16}$/);
    }
  });

  it("applies every good event", async () => {
    expect(summary.applied).toBe(good.length);
    expect(await db.rows("SELECT order_number FROM orders")).toEqual([{ order_number: firstOrderNumber }]);
    expect(await db.rows("SELECT COUNT(*) c FROM order_items")).toEqual([{ c: 2 }]);
    expect(await db.rows("SELECT COUNT(*) c FROM users")).toEqual([{ c: 3 }]);
    expect(await db.rows("SELECT COUNT(*) c FROM product_variants")).toEqual([{ c: 2 }]);
  });

  it("stores SQL metacharacters, emoji and other 4-byte UTF-8, and NUL characters, verbatim", async () => {
    const users = await db.rows<{ display_name: string; bio: string }>(
      "SELECT display_name, bio FROM users ORDER BY user_id",
    );
    expect(users.map((u) => u.display_name)).toContain(metachars);
    expect(users.map((u) => u.bio)).toContain("emoji 😀🚀 and 𝄞 (4-byte UTF-8) — Zoë, München");
    expect(users.map((u) => u.display_name)).toContain("Jane\u0000Smith");
    expect(await db.rows("SELECT text_content FROM posts")).toEqual([{ text_content: "New tee day ☀️ 👕" }]);
  });

  it("records each dead letter once when the same file is replayed again", async () => {
    const r = cli(["replay", file, "--json"], { MYSQL_URL: db.url });
    expect(r.status).toBe(0);
    expect(await db.rows("SELECT COUNT(*) c FROM projector_dead_letters")).toEqual([{ c: bad.length }]);
  });

  it("keeps the letters of another file of the same name (or of stdin) at the same line", async () => {
    const other = mkdtempSync(join(tmpdir(), "projector-dl2-"));
    const again = join(other, "malformed.jsonl");
    // As many lines as the first file, all bad: each line number the first file dead-lettered is taken again.
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").length;
    writeFileSync(
      again,
      `${Array.from({ length: lines }, (_, i) => `{"event_type": "order.created", "broken-${i}`).join("\n")}\n`,
    );
    for (const input of [again, "-"]) {
      const r = cli(
        ["replay", input, "--json"],
        { MYSQL_URL: db.url },
        input === "-" ? "not json either\n" : undefined,
      );
      expect(r.status).toBe(0);
    }
    expect(await db.rows("SELECT COUNT(*) c FROM projector_dead_letters")).toEqual([
      { c: bad.length + lines + 1 },
    ]);
    const latest = await db.rows<{ source: string; position: string; payload: Buffer }>(
      "SELECT source, position, payload FROM projector_dead_letters ORDER BY id DESC LIMIT 2",
    );
    expect(
      latest.map((l) => [
        l.source,
        l.position.split(" #")[0],
        Buffer.from(l.payload).toString().slice(0, 20),
      ]),
    ).toEqual([
      ["stdin", "line 1", "not json either"],
      ["malformed.jsonl", `line ${lines}`, '{"event_type": "orde'],
    ]);
  });
});

describe("unknown event types", () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  });
  afterAll(() => db.drop());

  const unknown = JSON.stringify({ ...base("user.login"), event_type: "invoice.paid" });

  it("are counted and skipped by default", async () => {
    const r = cli(["replay", "-", "--json"], { MYSQL_URL: db.url }, `${unknown}\n`);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 1, skipped: 1, dead_lettered: 0 });
    expect(await db.rows("SELECT * FROM projector_dead_letters")).toEqual([]);
  });

  it("are dead-lettered with --dead-letter-unknown", async () => {
    const r = cli(["replay", "-", "--json", "--dead-letter-unknown"], { MYSQL_URL: db.url }, `${unknown}\n`);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 1, skipped: 0, dead_lettered: 1 });
    expect(await db.rows("SELECT source, position, event_type, reason FROM projector_dead_letters")).toEqual([
      {
        source: "stdin",
        position: expect.stringMatching(/^line 1 #[0-9a-f]{16}$/),
        event_type: "invoice.paid",
        reason: "unknown event type invoice.paid (no projection declares it)",
      },
    ]);
  });
});
