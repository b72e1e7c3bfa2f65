import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, EXAMPLES } from "../helpers/cli.js";
import type { TestDb } from "../helpers/db.js";
import { testScope } from "../helpers/kafka/scope.js";

type PostData = { text_content: string; media: { url: string }[] };

const scope = testScope();
const dir = mkdtempSync(join(tmpdir(), "projector-big-"));
const post = JSON.parse(
  readFileSync(EXAMPLES, "utf8")
    .split("\n")
    .find((l) => l.includes('"post.created"'))!,
);

/** A post.created for post number `i`, changed by `edit`. */
function postEvent(i: number, edit: (data: PostData) => void): string {
  const e = structuredClone(post);
  e.event_id = `00000000-0000-4000-9000-${i.toString(16).padStart(12, "0")}`;
  e.entity_id = i.toString(16).padStart(24, "0");
  edit(e.data);
  return JSON.stringify(e);
}

function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** The server's max_allowed_packet, in bytes. */
async function maxPacket(db: TestDb): Promise<number> {
  const [row] = await db.rows<{ p: number }>("SELECT @@max_allowed_packet AS p");
  return Number(row!.p);
}

const summary = (stdout: string) => JSON.parse(stdout) as Record<string, number>;

describe("batches bigger than the server's max_allowed_packet", () => {
  it("writes a batch whose rows together exceed the packet (split into several statements)", async () => {
    const db = await scope.db();
    const p = await maxPacket(db);
    const n = Math.ceil((p * 1.2) / 32_000);
    const f = file(
      "posts.jsonl",
      Array.from({ length: n }, (_, i) => postEvent(i + 1, (d) => (d.text_content = "y".repeat(32_000)))),
    );
    const r = cli(["replay", f, "--batch-size", String(n), "--json"], { MYSQL_URL: db.url });
    expect(r.status, r.stderr).toBe(0);
    expect(summary(r.stdout)).toMatchObject({ read: n, applied: n, dead_lettered: 0, retries: 0 });
    expect(await db.rows("SELECT COUNT(*) n, MIN(LENGTH(text_content)) l FROM posts")).toEqual([
      { n, l: 32_000 },
    ]);
  });

  it("dead-letters a batch of big undecodable lines in several inserts", async () => {
    const db = await scope.db();
    const p = await maxPacket(db);
    const n = Math.ceil((p * 1.2) / 17_500);
    const f = file(
      "garbage.jsonl",
      Array.from({ length: n }, () => `not json ${"x".repeat(17_500)}`),
    );
    const r = cli(["replay", f, "--batch-size", String(n), "--json"], { MYSQL_URL: db.url });
    expect(r.status, r.stderr).toBe(0);
    expect(summary(r.stdout)).toMatchObject({ read: n, dead_lettered: n, retries: 0 });
    expect(await db.rows("SELECT COUNT(*) n, MIN(LENGTH(payload)) l FROM projector_dead_letters")).toEqual([
      { n, l: 17_509 },
    ]);
  });

  it("dead-letters the one event whose row no packet can carry, payload truncated, and applies the rest", async () => {
    const db = await scope.db();
    const p = await maxPacket(db);
    const big = (size: number) => (d: PostData) => (d.media[0]!.url = "z".repeat(size));
    const f = file("huge.jsonl", [
      postEvent(1, big(100)),
      postEvent(2, big(Math.floor(p * 0.4))),
      postEvent(3, big(p + (4 << 20))),
      postEvent(4, big(100)),
    ]);
    // Records a little over the packet are kept whole (the default, 4 MB, would dead-letter lines 2
    // and 3 unread): the packet is the limit here, 16 MB on MariaDB, 64 MB on MySQL 8 by default.
    const limit = String(p + (16 << 20));
    const r = cli(["replay", f, "--json", "--max-record-bytes", limit], { MYSQL_URL: db.url });
    expect(r.status, r.stderr).toBe(0);
    expect(summary(r.stdout)).toMatchObject({ read: 4, applied: 3, dead_lettered: 1, retries: 0 });
    expect(await db.rows("SELECT post_id FROM posts ORDER BY post_id")).toEqual(
      [1, 2, 4].map((i) => ({ post_id: i.toString(16).padStart(24, "0") })),
    );
    const [letter] = (await db.rows(
      "SELECT position, reason, LENGTH(payload) l FROM projector_dead_letters",
    )) as [{ position: string; reason: string; l: number }];
    expect(letter.position).toMatch(/^line 3 #[0-9a-f]{16}$/);
    expect(letter.reason).toContain("max_allowed_packet");
    expect(letter.reason).toContain("kept truncated");
    expect(letter.l).toBeGreaterThan(1 << 20);
    expect(letter.l).toBeLessThan(p);
  });
});
