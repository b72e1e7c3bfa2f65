import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, REPO } from "../helpers/cli.js";
import { projector } from "../helpers/kafka/processes.js";
import { testScope } from "../helpers/kafka/scope.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { waitFor } from "../helpers/wait.js";

const scope = testScope();
const tmuxBin = () => process.env.PROJECTOR_TEST_TMUX ?? "tmux";
/** A tmux server of this file's own (its socket name), with no user configuration. */
const socket = `projector-test-${process.pid}-${randomBytes(3).toString("hex")}`;
const tmux = (...args: string[]) => {
  const r = spawnSync(tmuxBin(), ["-L", socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};
afterAll(() => {
  spawnSync(tmuxBin(), ["-L", socket, "kill-server"]);
});

/** Starts `projector <args>` in a detached tmux window of `cols`×`rows`, `env` set; prints EXITED <code> when it ends. */
function inTmux(session: string, args: string[], env: Record<string, string>, cols = 120, rows = 40): void {
  const command = `${[process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ")}; echo "EXITED $?"; sleep 600`;
  tmux(
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    String(cols),
    "-y",
    String(rows),
    "-c",
    REPO,
    ...Object.entries({ LOG_LEVEL: "warn", ...env }).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
    command,
  );
}
const screen = (session: string) => tmux("capture-pane", "-p", "-t", session);
const paneInfo = (session: string, format: string) =>
  tmux("display-message", "-p", "-t", session, format).trim();

describe("projector status --watch", () => {
  it("redraws its frame in place in a real terminal while a run catches up, and Ctrl-C ends it", async () => {
    const file = await streamFile(6000, 71);
    const total = readEvents(file).length;
    const { env } = await scope.kafka(2);
    const emitted = await projector(["emit", file], env);
    expect(emitted.status, emitted.stderr).toBe(0);
    expect((await projector(["migrate"], env)).status).toBe(0);

    inTmux("watch", ["status", "--watch", "--interval", "0.5"], env);
    const before = await waitFor(
      "the first frame with the whole stream as lag",
      () => {
        const s = screen("watch");
        return s.includes(`lag: ${total.toLocaleString("en-US")} events`) ? s : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(before.split("\n")[0]).toMatch(
      /^group \S+ on \S+ · \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ · every 0\.5s, Ctrl-C stops$/,
    );
    expect(before).toMatch(/events\/s: none committed yet/);

    // A run consumes: frames show events/s and the lag falling, then 0, each drawn over the last.
    // Small batches: the catch-up spans several frames however fast the machine.
    const run = scope.spawn(["run", "--from-beginning", "--until-caught-up", "--batch-size", "20"], env);
    const frames = new Set<string>();
    const caughtUp = await waitFor(
      "a frame with lag 0",
      () => {
        const s = screen("watch");
        frames.add(s);
        return /^lag: 0 events/m.test(s) && /events\/s: /.test(s) ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    expect((await run.wait(60_000)).status).toBe(0);
    const rates = [...frames].flatMap((f) => [...f.matchAll(/^events\/s: ([\d,.]+) \(applied ([\d,.]+)/gm)]);
    expect(
      rates.some((m) => Number(m[2]!.replaceAll(",", "")) > 0),
      [...frames].join("\n----\n"),
    ).toBe(true);
    expect([...frames].some((f) => /^lag: [\d,]+ events \(-[\d,.]+\/s\)/m.test(f))).toBe(true);
    // In place: one frame on the screen, its header on the first line, nothing scrolled away.
    for (const f of [caughtUp, ...frames].filter((f) => f.includes("lag:"))) {
      expect(f.split("\n")[0]).toMatch(/^group /);
      expect(f.match(/^lag: /gm)).toHaveLength(1);
    }
    expect(paneInfo("watch", "#{history_size}")).toBe("0");
    expect(paneInfo("watch", "#{cursor_flag}")).toBe("0"); // hidden while drawing
    expect(caughtUp).toMatch(/^ {2}t[0-9a-f]+\.order +0 {2}[▁-█]+ /m);
    expect(caughtUp).toMatch(/^tables: \d+ current$/m);

    tmux("send-keys", "-t", "watch", "C-c");
    const ended = await waitFor(
      "EXITED after Ctrl-C",
      () => {
        const s = screen("watch");
        return /EXITED \d+/.test(s) ? s : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(ended).toContain("EXITED 0");
    expect(paneInfo("watch", "#{cursor_flag}")).toBe("1"); // shown again
  }, 240_000);

  it("shows control characters from its input as escapes: no window title set, no screen cleared", async () => {
    const db = await scope.db();
    inTmux(
      "hostile",
      ["status", "--watch", "--interval", "0.5", "--group", "g\u001b]0;pwned\u0007\u001b[2Jx"],
      {
        MYSQL_URL: db.url,
        KAFKA_TOPIC_PREFIX: `t${randomBytes(4).toString("hex")}.`,
      },
    );
    const s = await waitFor(
      "a frame",
      () => {
        const s = screen("hostile");
        return s.includes("tables:") ? s : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(s.split("\n")[0]).toMatch(/^group g\\x1b]0;pwned\\x07\\x1b\[2Jx on /);
    expect(paneInfo("hostile", "#{pane_title}")).not.toContain("pwned");
    expect(s).toMatch(/tables: 0 current, \d+ missing \(projector migrate\)/);
  }, 60_000);

  it("writes plain frames when piped: no escape sequence, a blank line between frames", async () => {
    const db = await scope.db();
    expect((await projector(["migrate"], { MYSQL_URL: db.url })).status).toBe(0);
    const child = spawn(process.execPath, [BIN, "status", "--watch", "--interval", "0.3"], {
      env: {
        ...process.env,
        MYSQL_URL: db.url,
        KAFKA_TOPIC_PREFIX: `t${randomBytes(4).toString("hex")}.`,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await waitFor("three frames", () => (out.match(/^group /gm)?.length ?? 0) >= 3, { timeoutMs: 30_000 });
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    await sleep(50);
    expect(out).not.toContain("\u001b");
    const frames = out.trimEnd().split("\n\n");
    expect(frames.length).toBeGreaterThanOrEqual(3);
    for (const f of frames) expect(f).toMatch(/^group [\s\S]*\ntables: /);
  }, 60_000);
});
