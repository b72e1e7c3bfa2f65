import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, EXAMPLES } from "../helpers/cli.js";
import { produceRaw } from "../helpers/kafka/produce-raw.js";
import { testScope } from "../helpers/kafka/scope.js";

/**
 * Input is bounded whatever its size: a line or Kafka record over --max-record-bytes is dead-lettered
 * with its first 4 KB and its size, and reading goes on; deep nesting is refused before it is parsed;
 * a dead letter's payload is cut only at the limit that really applies (the server's packet).
 */
const scope = testScope();
const dir = mkdtempSync(join(tmpdir(), "projector-bounded-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const examples = readFileSync(EXAMPLES, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const login = (i: number) =>
  JSON.stringify({
    ...examples.find((e) => e.event_type === "user.login")!,
    event_id: `00000000-0000-4000-9300-${String(i).padStart(12, "0")}`,
  });

/** Writes `before`, then `size` bytes made by `fill` (streamed, never held whole), then `after`. */
function hugeFile(name: string, before: string[], size: number, fill: Buffer, after: string[]): string {
  const path = join(dir, name);
  const fd = openSync(path, "w");
  writeSync(fd, `${before.join("\n")}\n`);
  for (let left = size; left > 0; left -= fill.length)
    writeSync(fd, left >= fill.length ? fill : fill.subarray(0, left));
  writeSync(fd, `\n${after.join("\n")}\n`);
  closeSync(fd);
  return path;
}

type Letter = { position: string; reason: string; payload: Buffer; record_key: Buffer | null };
const letters = (db: { rows<T>(sql: string): Promise<T[]> }) =>
  db.rows<Letter>("SELECT position, reason, payload, record_key FROM projector_dead_letters ORDER BY id");

describe("one huge line in replay", () => {
  it("600 MB: dead-lettered with its first 4 KB and its size, the events after it applied, memory bounded", async () => {
    const db = await scope.db();
    const size = 600 << 20;
    const f = hugeFile("huge.jsonl", [login(1)], size, Buffer.alloc(1 << 20, "a"), [login(2), login(3)]);
    const started = Date.now();
    const r = cli(["replay", f, "--json"], { MYSQL_URL: db.url });
    const seconds = (Date.now() - started) / 1000;
    rmSync(f);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ read: 4, applied: 3, dead_lettered: 1 });
    expect(summary.max_rss_mb).toBeLessThan(300);
    expect(seconds).toBeLessThan(120); // linear: it was minutes (quadratic copying) before
    expect(await db.rows("SELECT COUNT(*) n FROM user_logins")).toEqual([{ n: 3 }]);
    const [letter] = await letters(db);
    expect(letter!.position).toMatch(/^line 2 #/);
    expect(letter!.reason).toBe(
      `record of ${size} bytes is larger than the maximum record size of ${4 << 20} (--max-record-bytes, PROJECTOR_MAX_RECORD_BYTES); its first 4096 bytes are kept`,
    );
    expect(Buffer.from(letter!.payload)).toEqual(Buffer.alloc(4096, "a"));
  }, 240_000);

  it("50 MB of nested [ under a 64 MB limit: refused before parsing, with bounded memory", async () => {
    const db = await scope.db();
    const f = hugeFile("nested.jsonl", [login(1)], 50 << 20, Buffer.alloc(1 << 20, "["), [login(2)]);
    const r = cli(["replay", f, "--json", "--max-record-bytes", "64mb"], { MYSQL_URL: db.url });
    rmSync(f);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ read: 3, applied: 2, dead_lettered: 1 });
    // The letter keeps as much of the payload as one packet carries, and writing it holds that a few
    // times (the bytes, the escaped statement, the driver's packet): the bound follows the server's
    // max_allowed_packet (16 MB on MariaDB: under 300 MB; 64 MB on MySQL 8: under 450 MB).
    const [packet] = await db.rows<{ p: number }>("SELECT @@max_allowed_packet AS p");
    expect(summary.max_rss_mb).toBeLessThan(250 + 3 * (Number(packet!.p) >> 20));
    const [letter] = await letters(db);
    if (Number(packet!.p) >= 64 << 20) {
      // MySQL 8's default packet carries the whole line: the letter keeps it, for a retry.
      expect(letter!.reason).toBe("JSON nested deeper than 64 levels");
      expect(Buffer.from(letter!.payload).length).toBe(50 << 20);
    } else {
      // Too big for MariaDB's packet: the payload is cut there, and the reason says at which limit.
      expect(letter!.reason).toMatch(
        /^JSON nested deeper than 64 levels \(payload of 52428800 bytes kept truncated to its first \d+: a dead letter must fit the server's max_allowed_packet of \d+ bytes\)$/,
      );
    }
  }, 240_000);

  it("a 5 MB bad line under a 16 MB limit is kept whole: only the packet's limit cuts a payload", async () => {
    const db = await scope.db();
    const bad = `not json ${"x".repeat(5 << 20)}`;
    const f = join(dir, "bad5mb.jsonl");
    writeFileSync(f, `${login(1)}\n${bad}\n${login(2)}\n`);
    const r = cli(["replay", f, "--json", "--max-record-bytes", "16mb"], { MYSQL_URL: db.url });
    expect(r.status, r.stderr).toBe(0);
    const [letter] = await letters(db);
    expect(Buffer.from(letter!.payload).length).toBe(bad.length);
    expect(letter!.reason).toMatch(/^undecodable JSON/);
    expect(letter!.reason).not.toContain("truncated");
  });
});

describe("Kafka records", () => {
  it("an oversized record and a tombstone are dead-lettered with their own reasons and keys; the stream goes on", async () => {
    const { db, ctx, env } = await scope.kafka(1);
    const topic = `${ctx.prefix}user`;
    expect(cli(["emit", EXAMPLES], env).status).toBe(0); // creates the topics
    const big = JSON.stringify({ ...JSON.parse(login(9)), padding: "p".repeat(200_000) });
    const at = await produceRaw(ctx.brokers, [
      { topic, partition: 0, key: "big-key", value: big },
      { topic, partition: 0, key: "gone-key", value: null as unknown as string },
      { topic, partition: 0, key: "after", value: login(10) },
    ]);
    const r = cli(["run", "--until-caught-up", "--json", "--max-record-bytes", "100kb"], env);
    expect(r.status, r.stderr).toBe(0);
    const all = await letters(db);
    const big1 = all.find((l) => l.position === `partition 0 offset ${at[0]!.offset}`)!;
    expect(big1.reason).toBe(
      `record of ${big.length} bytes is larger than the maximum record size of 102400 (--max-record-bytes, PROJECTOR_MAX_RECORD_BYTES); its first 4096 bytes are kept`,
    );
    expect(Buffer.from(big1.payload).toString()).toBe(big.slice(0, 4096));
    expect(Buffer.from(big1.record_key!).toString()).toBe("big-key");
    const tomb = all.find((l) => l.position === `partition 0 offset ${at[1]!.offset}`)!;
    expect(tomb.reason).toContain("Kafka tombstone");
    expect(Buffer.from(tomb.payload).length).toBe(0);
    expect(Buffer.from(tomb.record_key!).toString()).toBe("gone-key");
    expect(
      await db.rows("SELECT COUNT(*) n FROM user_logins WHERE event_id = ?", [
        JSON.parse(login(10)).event_id,
      ]),
    ).toEqual([{ n: 1 }]);
  });
});
