import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, REPO } from "../helpers/cli.js";
import { MAIN_BROKER } from "../helpers/kafka/context.js";
import { projector } from "../helpers/kafka/processes.js";
import { status } from "../helpers/kafka/progress.js";
import { testScope } from "../helpers/kafka/scope.js";
import { checksums, letterCounts, narrowedSpecs } from "../helpers/letters.js";
import { expectSameTables, replayReference, tableDigests } from "../helpers/reference.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";

const scope = testScope();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The JSON summary of a `dead-letters retry --json`. */
interface RetrySummary {
  retried: number;
  resolved: number;
  failed_again: number;
  unmatched_again: number;
  not_retried: number;
  letters_left: number;
}

async function retry(env: Record<string, string>, ...args: string[]): Promise<RetrySummary> {
  const r = await projector(["dead-letters", "retry", "--json", ...args], env);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as RetrySummary;
}

describe("dead-letters retry after the spec is fixed (files, MariaDB)", () => {
  it("a user_logins.ip_address of varchar(3) dead-letters every login; widened, migrated and retried, every table equals a clean replay", async () => {
    const file = await streamFile(5000, 21, false);
    const logins = readEvents(file).filter((e) => e.event_type === "user.login").length;
    expect(logins).toBeGreaterThan(100);
    const narrow = narrowedSpecs(
      "user.yaml",
      "ip_address: { type: varchar(45), nullable: true }",
      "ip_address: { type: varchar(3), nullable: true }",
    );
    dirs.push(narrow);
    const db = await scope.db();
    const env = { MYSQL_URL: db.url, KAFKA_BROKERS: MAIN_BROKER };
    const reference = replayReference(file).then((r) => scope.keep(r.db));

    const first = await projector(["replay", file, "--json", "--projections", narrow], env);
    expect(first.status, first.stderr).toBe(0);
    expect(summaryOf(first)).toMatchObject({ dead_lettered: logins });
    expect(await letterCounts(db)).toEqual({ "failed user.login": logins });
    expect(await db.rows("SELECT COUNT(*) n FROM user_logins")).toEqual([{ n: 0 }]);

    // Retried with the spec still narrow: every letter fails again, and counts the attempt.
    const again = await retry(env, "--projections", narrow);
    expect(again).toMatchObject({ retried: logins, resolved: 0, failed_again: logins, letters_left: logins });
    expect(await db.rows("SELECT MIN(attempts) lo, MAX(attempts) hi FROM projector_dead_letters")).toEqual([
      { lo: 2, hi: 2 },
    ]);

    // The fix: the shipped spec (varchar(45)); migrate widens the column.
    const migrated = await projector(["migrate"], env);
    expect(migrated.status, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain(
      "ALTER TABLE `user_logins` MODIFY COLUMN `ip_address` VARCHAR(45) NULL",
    );

    // A dry run says what would happen and writes nothing.
    const dry = await projector(["dead-letters", "retry", "--dry-run", "--json"], env);
    expect(dry.status, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dry_run: true,
      would_retry: logins,
      not_retried: 0,
      still_failing_to_map: {},
    });
    expect(await letterCounts(db)).toEqual({ "failed user.login": logins });

    const done = await retry(env, "--batch-size", "97");
    expect(done).toMatchObject({ retried: logins, resolved: logins, failed_again: 0, letters_left: 0 });
    expect(await letterCounts(db)).toEqual({});
    // Idempotent: a second retry finds nothing and changes nothing.
    const before = await checksums(db);
    expect(await retry(env)).toMatchObject({ retried: 0, resolved: 0, letters_left: 0 });
    expect(await checksums(db)).toEqual(before);

    const ref = await reference;
    expect(before).toEqual(await checksums(ref));
    await expectSameTables(db, ref, await tableDigests(ref));

    const st = await status(env);
    expect(st.dead_letters).toBe(0);
    expect(
      (st as unknown as { events: Record<string, Record<string, Record<string, number>>> }).events,
    ).toMatchObject({
      "dead-letters retry": { "user.login": { applied: logins, dead_lettered: logins } },
    });
  }, 180_000);

  it("a dead-lettered create whose later updates found no row: retried in order, each row equals the clean replay's", async () => {
    const file = await streamFile(5000, 22, false);
    const events = readEvents(file);
    const count = (...types: string[]) => events.filter((e) => types.includes(e.event_type)).length;
    // users.email too short for any address: every user upsert fails; the updates and soft
    // deletes behind them find no row and are kept.
    const narrow = narrowedSpecs("user.yaml", "email: { type: varchar(255) }", "email: { type: varchar(4) }");
    dirs.push(narrow);
    const db = await scope.db();
    const env = { MYSQL_URL: db.url };
    const reference = replayReference(file).then((r) => scope.keep(r.db));

    const first = await projector(["replay", file, "--json", "--projections", narrow], env);
    expect(first.status, first.stderr).toBe(0);
    const letters = await letterCounts(db);
    const failed = count("user.created", "user.registered", "user.updated");
    expect(failed).toBeGreaterThan(50);
    expect(
      letters["failed user.created"]! + letters["failed user.registered"]! + letters["failed user.updated"]!,
    ).toBe(failed);
    expect(letters["unmatched user.email_verified"]).toBe(count("user.email_verified"));
    expect(letters["unmatched user.account_locked"]).toBe(count("user.account_locked"));
    expect(letters["unmatched user.deleted"]).toBe(count("user.deleted"));
    expect(summaryOf(first)).toMatchObject({
      unmatched_kept: count("user.email_verified", "user.account_locked", "user.deleted"),
    });
    expect(await db.rows("SELECT COUNT(*) n FROM users")).toEqual([{ n: 0 }]);

    // Only the unmatched ones first: their rows still do not exist, so they stay, one attempt more.
    const early = await retry(env, "--kind", "unmatched");
    expect(early).toMatchObject({ resolved: 0, failed_again: 0 });
    expect(early.unmatched_again).toBe(early.retried);
    expect(await letterCounts(db)).toEqual(letters);

    const migrated = await projector(["migrate"], env);
    expect(migrated.status, migrated.stderr).toBe(0);
    const total = Object.values(letters).reduce((a, b) => a + b, 0);
    expect(await retry(env)).toMatchObject({ retried: total, resolved: total, letters_left: 0 });

    const ref = await reference;
    expect(await checksums(db)).toEqual(await checksums(ref));
    await expectSameTables(db, ref, await tableDigests(ref));
  }, 180_000);
});

describe("dead-letters list, show and purge", () => {
  it("list prints a table (cut to the terminal on a TTY) or JSON; show prints the raw payload; purge asks or needs --yes", async () => {
    const file = await streamFile(600, 23, false);
    const narrow = narrowedSpecs(
      "user.yaml",
      "ip_address: { type: varchar(45), nullable: true }",
      "ip_address: { type: varchar(3), nullable: true }",
    );
    dirs.push(narrow);
    const db = await scope.db();
    const env = { MYSQL_URL: db.url };
    expect((await projector(["replay", file, "--projections", narrow], env)).status).toBe(0);
    const logins = readEvents(file).filter((e) => e.event_type === "user.login");
    expect(logins.length).toBeGreaterThan(5);

    const list = await projector(["dead-letters", "list", "--limit", "3"], env);
    expect(list.status, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^id\s+kind\s+event type\s+source\s+position\s+tries\s+first failed\s+last failed\s+reason$/,
    );
    expect(lines[1]).toMatch(
      /^1\s+failed\s+user\.login\s+\S+\.jsonl\s+line \d+ #[0-9a-f]{16}\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/,
    );
    expect(lines[1]).toContain("user_logins.ip_address ← $.data.ip_address: string of");
    expect(lines.at(-1)).toBe(
      `3 of ${logins.length} letter(s) (--limit 3; --limit 0 lists all); projector dead-letters show <id> prints one with its payload`,
    );

    const json = await projector(
      ["dead-letters", "list", "--json", "--limit", "0", "--reason", "longer than"],
      env,
    );
    const listed = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(listed).toHaveLength(logins.length);
    expect(listed[0]).toEqual({
      id: "1",
      kind: "failed",
      source: expect.stringMatching(/\.jsonl$/),
      position: expect.stringMatching(/^line \d+ #/),
      event_id: logins[0]!.event_id,
      event_type: "user.login",
      reason: expect.stringContaining("longer than the column's 3"),
      attempts: 1,
      first_failed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      last_failed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      retriable: true,
      payload_bytes: expect.any(Number),
    });
    // Filters narrow; none matching says so.
    expect((await projector(["dead-letters", "list", "--event-type", "user.created"], env)).stdout).toBe(
      "no dead letters match\n",
    );
    expect(
      JSON.parse((await projector(["dead-letters", "list", "--json", "--since", "1d"], env)).stdout),
    ).toHaveLength(Math.min(logins.length, 100));
    expect(
      JSON.parse(
        (await projector(["dead-letters", "list", "--json", "--since", "2999-01-01T00:00:00Z"], env)).stdout,
      ),
    ).toEqual([]);
    const bad = await projector(["dead-letters", "list", "--since", "yesterday-ish"], env);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("--since must be a time like");

    const show = await projector(["dead-letters", "show", "1"], env);
    expect(show.status, show.stderr).toBe(0);
    const line = readFileSync(file, "utf8")
      .split("\n")
      .find((l) => l.includes(logins[0]!.event_id))!;
    expect(show.stdout).toContain(`event id        ${logins[0]!.event_id}`);
    expect(show.stdout.trimEnd().endsWith(line)).toBe(true);
    const showJson = JSON.parse((await projector(["dead-letters", "show", "1", "--json"], env)).stdout);
    expect(showJson).toMatchObject({ id: "1", payload: line, payload_encoding: "utf8", record_key: null });
    const missing = await projector(["dead-letters", "show", "999999"], env);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("no dead letter with id 999999");

    // On a terminal the table fits its width (the reason is cut with an ellipsis). The pty's width is
    // set with stty: a pty of 0 columns (what script makes here) cuts nothing (it printed only "…").
    const tty = spawnSync(
      "script",
      ["-qec", `stty cols 90; node ${BIN} dead-letters list --limit 2`, "/dev/null"],
      {
        cwd: REPO,
        env: { ...process.env, ...env, LOG_LEVEL: "warn" },
        encoding: "utf8",
      },
    );
    expect(tty.status, tty.stderr).toBe(0);
    const ttyLines = tty.stdout.replace(/\r/g, "").trimEnd().split("\n");
    expect(ttyLines[1]!.length).toBeLessThanOrEqual(90);
    expect(ttyLines[1]).toMatch(/…$/);

    // purge: refuses without --yes when there is no terminal to ask on; --dry-run counts.
    const refused = await projector(["dead-letters", "purge"], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`purge would delete ${logins.length} dead letter(s): pass --yes`);
    const dry = await projector(["dead-letters", "purge", "--dry-run", "--json"], env);
    expect(JSON.parse(dry.stdout)).toEqual({ matching: logins.length, purged: 0, dry_run: true });
    // On a terminal it asks; anything but yes deletes nothing.
    const no = spawnSync("script", ["-qec", `node ${BIN} dead-letters purge --since 1d`, "/dev/null"], {
      cwd: REPO,
      env: { ...process.env, ...env, LOG_LEVEL: "warn" },
      input: "n\n",
      encoding: "utf8",
    });
    expect(no.stdout).toContain(`Delete ${logins.length} dead letter(s)? This cannot be undone. [y/N]`);
    expect(no.stdout).toContain("nothing deleted");
    expect(await db.rows("SELECT COUNT(*) n FROM projector_dead_letters")).toEqual([{ n: logins.length }]);
    // "y" deletes what matches: here the letters of 13-character addresses.
    const some = listed.filter((l) => String(l.reason).includes("string of 13 characters"));
    expect(some.length).toBeGreaterThan(0);
    const yes = spawnSync(
      "script",
      ["-qec", `node ${BIN} dead-letters purge --reason "string of 13 characters"`, "/dev/null"],
      { cwd: REPO, env: { ...process.env, ...env, LOG_LEVEL: "warn" }, input: "y\n", encoding: "utf8" },
    );
    expect(yes.stdout).toContain(`purged ${some.length} letter(s)`);
    const none = await projector(
      ["dead-letters", "purge", "--yes", "--json", "--reason", "xyz-not-there"],
      env,
    );
    expect(JSON.parse(none.stdout)).toEqual({ matching: 0, purged: 0, dry_run: false });
    const rest = logins.length - some.length;
    const all = await projector(
      ["dead-letters", "purge", "--yes", "--json", "--event-type", "user.login"],
      env,
    );
    expect(JSON.parse(all.stdout)).toEqual({ matching: rest, purged: rest });
    expect(await db.rows("SELECT COUNT(*) n FROM projector_dead_letters")).toEqual([{ n: 0 }]);
    const st = await projector(["status", "--json"], { ...env, KAFKA_BROKERS: MAIN_BROKER });
    expect(JSON.parse(st.stdout).events["dead-letters purge"]).toEqual({
      "user.login": { purged: logins.length },
    });
    expect(JSON.parse(st.stdout)).toMatchObject({
      dead_letters: 0,
      unmatched_letters: 0,
      dead_letter_reasons: [],
    });
  }, 120_000);
});
