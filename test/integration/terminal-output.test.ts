import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cli, EXAMPLES, REPO } from "../helpers/cli.js";
import type { TestDb } from "../helpers/db.js";
import { testScope } from "../helpers/kafka/scope.js";

/**
 * Event text reaches the operator's terminal escaped: event types, payloads, reasons and file names
 * holding `ESC]0;…BEL` (window title), `ESC[2J` (clear screen), CR, DEL and C1 CSI are printed by
 * `dead-letters list/show`, `status`, `dead-letters retry --dry-run` and the logs as visible escapes,
 * on a pipe and on a terminal; `--json` stays exact JSON.
 */

/** A control character a terminal acts on (newlines and tabs aside). */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = "\u001b]0;owned\u0007\u001b[2J\r\u007f\u009b31m\u202e";

const scope = testScope();
const dir = mkdtempSync(join(tmpdir(), "projector-terminal-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let db: TestDb;
let env: Record<string, string>;
const login = JSON.parse(readFileSync(EXAMPLES, "utf8").split("\n")[3]!) as Record<string, unknown>;

beforeAll(async () => {
  const k = await scope.kafka(1);
  db = k.db;
  env = { ...k.env, LOG_FORMAT: "text", LOG_LEVEL: "info" };
  const file = join(dir, `events${HOSTILE}.jsonl`);
  writeFileSync(
    file,
    `${[
      // An unknown type (dead-lettered with --dead-letter-unknown): the type is printed.
      JSON.stringify({ ...login, event_type: `user.${HOSTILE}`, event_id: `id${HOSTILE}` }),
      // Not JSON: the payload and the parser's message quote the raw bytes.
      `not json ${HOSTILE}`,
      // A bad timestamp: the reason quotes it (JSON.stringify leaves DEL and C1 raw).
      JSON.stringify({ ...login, event_id: "00000000-0000-4000-8000-00000000c0de", timestamp: HOSTILE }),
    ].join("\n")}\n`,
  );
  const r = cli(["replay", file, "--dead-letter-unknown", "--json"], env);
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ read: 3, dead_lettered: 3 });
  expect(await db.rows("SELECT COUNT(*) n FROM projector_dead_letters")).toEqual([{ n: 3 }]);
});

/** What a person sees: no control character, CRLF of a terminal read as a newline. */
function expectClean(text: string, what: string): void {
  const seen = text.replace(/\r\n/g, "\n");
  const at = seen.search(RAW_CONTROL);
  expect(at, `${what}: raw ${JSON.stringify(seen.slice(Math.max(0, at - 20), at + 20))}`).toBe(-1);
}

describe("on a pipe", () => {
  it("dead-letters list and show escape the types, sources, reasons and payloads; --json is exact", () => {
    const list = cli(["dead-letters", "list"], env);
    expect(list.status, list.stderr).toBe(0);
    expectClean(list.stdout + list.stderr, "list");
    expect(list.stdout).toContain("user.\\x1b]0;owned\\x07\\x1b[2J\\x0d\\x7f\\x9b31m\\u202e");
    expect(list.stdout).toContain("events\\x1b]0;owned");

    const json = cli(["dead-letters", "list", "--json"], env);
    expectClean(json.stdout, "list --json");
    const letters = JSON.parse(json.stdout) as { id: string; event_type: string | null; source: string }[];
    expect(letters).toHaveLength(3);
    expect(letters.map((l) => l.event_type)).toContain(`user.${HOSTILE}`);
    expect(new Set(letters.map((l) => l.source))).toEqual(new Set([`events${HOSTILE}.jsonl`]));

    const payloads: string[] = [];
    for (const { id } of letters) {
      const show = cli(["dead-letters", "show", id], env);
      expect(show.status, show.stderr).toBe(0);
      expectClean(show.stdout + show.stderr, `show ${id}`);
      const exact = cli(["dead-letters", "show", id, "--json"], env);
      expectClean(exact.stdout, `show --json ${id}`);
      const l = JSON.parse(exact.stdout) as { payload: string; source: string };
      expect(l.source).toBe(`events${HOSTILE}.jsonl`);
      payloads.push(l.payload);
    }
    // The line that is not JSON is kept as it came, raw bytes and all (shown escaped above).
    expect(payloads).toContain(`not json ${HOSTILE}`);
  });

  it("status and retry --dry-run escape the reasons and types they print", () => {
    const status = cli(["status"], env);
    expect(status.status, status.stderr).toBe(0);
    expectClean(status.stdout + status.stderr, "status");
    expect(status.stdout).toContain("\\x1b]0;owned");
    const json = cli(["status", "--json"], env);
    expectClean(json.stdout, "status --json");
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain("\\u001b]0;owned");

    const dry = cli(["dead-letters", "retry", "--dry-run"], env);
    expect(dry.status, dry.stderr).toBe(0);
    expectClean(dry.stdout + dry.stderr, "retry --dry-run");
    expect(dry.stdout).toContain("\\x1b]0;owned");
  });

  it("logs in text form escape what they quote; a user error's message too", () => {
    const emit = cli(["emit", join(dir, `events${HOSTILE}.jsonl`)], env);
    expect(emit.stderr).toContain("not emitted");
    expectClean(emit.stdout + emit.stderr, "emit");
    const missing = cli(["replay", join(dir, `missing${HOSTILE}.jsonl`)], env);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("missing\\x1b]0;owned");
    expectClean(missing.stderr, "replay of a missing file");
  });
});

/** Runs the CLI on a pseudo-terminal of `cols` columns (util-linux `script`), returning what it shows. */
function onTerminal(args: string[], cols: number): { status: number | null; output: string } {
  const command = `stty cols ${cols} rows 50; ${[process.execPath, BIN, ...args].map(shellQuote).join(" ")}`;
  const r = spawnSync("script", ["-qec", command, "/dev/null"], {
    cwd: REPO,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

describe("on a terminal", () => {
  it("dead-letters list, show and status print no raw control character; 0 columns cut nothing", () => {
    const wide = onTerminal(["dead-letters", "list"], 200);
    expect(wide.status, wide.output).toBe(0);
    expectClean(wide.output, "list on a TTY");
    expect(wide.output).toContain("user.\\x1b]0;owned");
    // A terminal that says it has 0 columns (some CI runners): the rows are whole, not just "…".
    const zero = onTerminal(["dead-letters", "list"], 0);
    expectClean(zero.output, "list on a 0-column TTY");
    expect(zero.output).toContain("unknown event type user.\\x1b]0;owned");
    const narrow = onTerminal(["dead-letters", "list"], 60);
    expectClean(narrow.output, "list on a 60-column TTY");
    const rows = narrow.output
      .replace(/\r\n/g, "\n")
      .split("\n")
      .filter((l) => /^(id +kind|\d+ +failed)/.test(l));
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(60);

    const ids = (JSON.parse(cli(["dead-letters", "list", "--json"], env).stdout) as { id: string }[]).map(
      (l) => l.id,
    );
    for (const id of ids)
      expectClean(onTerminal(["dead-letters", "show", id], 100).output, `show ${id} on a TTY`);
    const status = onTerminal(["status"], 100);
    expect(status.status, status.output).toBe(0);
    expectClean(status.output, "status on a TTY");
  });
});
