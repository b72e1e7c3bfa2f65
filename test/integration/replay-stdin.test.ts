import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cli, cliAsync, EXAMPLES } from "../helpers/cli.js";
import { testScope } from "../helpers/kafka/scope.js";
import { waitFor } from "../helpers/wait.js";

const scope = testScope();

/** `n` user.created events (from the first example) for distinct users, starting at `from`. */
function users(from: number, n: number): string {
  const base = JSON.parse(readFileSync(EXAMPLES, "utf8").split("\n")[0]!);
  const lines: string[] = [];
  for (let i = from; i < from + n; i++) {
    const id = i.toString(16).padStart(24, "0");
    const e = structuredClone(base);
    e.event_id = `00000000-0000-4000-9000-${i.toString(16).padStart(12, "0")}`;
    e.entity_id = id;
    e.data.contact_info.primary_email = `user${i}@example.com`;
    lines.push(JSON.stringify(e));
  }
  return `${lines.join("\n")}\n`;
}

/**
 * A `replay -` that has committed `first` users, then gets a column of `users` dropped under it and
 * `more` users to write: it is retrying that batch when this returns.
 */
async function retryingReplay(first: number, more: number) {
  const db = await scope.db();
  const p = cliAsync(["replay", "-", "--json"], { MYSQL_URL: db.url });
  p.stdin.write(users(1, first));
  await waitFor(
    "the first users",
    async () => Number((await db.rows("SELECT COUNT(*) n FROM users"))[0]?.n) === first,
    { timeoutMs: 20_000 },
  );
  await db.rows("ALTER TABLE users DROP COLUMN bio");
  p.stdin.write(users(first + 1, more));
  await waitFor("a retry reported", () => p.output().stderr.includes("MySQL cannot take the batch"), {
    timeoutMs: 20_000,
  });
  return { db, p };
}

describe("replay - (a pipe that stays open)", () => {
  it("commits what it has read without waiting for more input; SIGTERM ends the wait, exit 0", async () => {
    const db = await scope.db();
    const p = cliAsync(["replay", "-", "--json"], { MYSQL_URL: db.url });
    p.stdin.write(users(1, 3));
    const count = async () => Number((await db.rows("SELECT COUNT(*) n FROM users"))[0]?.n ?? 0);
    await waitFor("3 users committed while stdin stays open", async () => (await count()) === 3, {
      timeoutMs: 20_000,
    });
    p.kill("SIGTERM");
    const started = Date.now();
    const r = await p.done;
    expect(r.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 3, applied: 3 });
  });

  it("a column dropped under it: the batch is retried, not dead-lettered, and lands after migrate", async () => {
    const { db, p } = await retryingReplay(2, 2);
    expect(p.output().stderr).toContain("Unknown column");
    expect(await db.rows("SELECT COUNT(*) n FROM projector_dead_letters")).toEqual([{ n: 0 }]);
    // The operator puts the column back; the retried batch goes through.
    expect(cli(["migrate"], { MYSQL_URL: db.url }).status).toBe(0);
    await waitFor(
      "the retried batch",
      async () => Number((await db.rows("SELECT COUNT(*) n FROM users"))[0]?.n) === 4,
      { timeoutMs: 30_000 },
    );
    p.stdin.end();
    const r = await p.done;
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 4, applied: 4, dead_lettered: 0 });
    expect(await db.rows("SELECT bio FROM users WHERE user_id = ?", ["000000000000000000000004"])).toEqual([
      { bio: "Hello world" },
    ]);
  });

  it("SIGTERM while a batch is being retried, stdin still open: exit 0 at once", async () => {
    const { p } = await retryingReplay(1, 1);
    p.kill("SIGTERM");
    const started = Date.now();
    const r = await p.done;
    expect(r.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 1, applied: 1, dead_lettered: 0 });
  });

  it("keeps memory flat over a long input (400 MB of 20 KB lines through the pipe)", async () => {
    const db = await scope.db();
    const p = cliAsync(["replay", "-", "--json"], { MYSQL_URL: db.url });
    const blob = "x".repeat(20_000);
    const lines = 20_000;
    for (let i = 0; i < lines; i++) {
      const line = `{"event_type":"blob.unknown","event_id":"00000000-0000-4000-9200-${String(i).padStart(12, "0")}","timestamp":"2025-01-01T00:00:00Z","entity_id":"e${i}","data":{"blob":"${blob}"}}\n`;
      if (!p.stdin.write(line)) await new Promise((resolve) => p.stdin.once("drain", resolve));
    }
    p.stdin.end();
    const r = await p.done;
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ read: lines, skipped: lines });
    // Every batch read used to stay reachable until the end (a never-settled race): 450+ MB here.
    expect(summary.max_rss_mb).toBeLessThan(250);
  }, 120_000);
});
