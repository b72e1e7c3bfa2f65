import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../helpers/cli.js";
import { testScope } from "../helpers/kafka/scope.js";

/**
 * No single event stops the stream, through `replay`: each of these was minutes of CPU, gigabytes,
 * an exit 70 or a stalled batch on ad13941; each is now a letter whose reason names what it hit,
 * and the events around it are applied.
 */
const scope = testScope();
const SPECS = fileURLToPath(new URL("../fixtures/hostile", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "projector-bounds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bag(id: string, data: Record<string, unknown>): string {
  return JSON.stringify({
    event_type: "bag.filled",
    event_id: `00000000-0000-4000-8000-${id.padStart(12, "0")}`,
    timestamp: "2025-01-01T00:00:00Z",
    entity_id: `bag-${id}`,
    data,
  });
}

/** A bag.filled whose items array has `n` one-digit elements, written without holding the line twice. */
function writeBigBag(fd: number, id: string, n: number): void {
  const [head, tail] = bag(id, { cents: 100, items: ["HOLE"] }).split('["HOLE"]') as [string, string];
  writeSync(fd, `${head}[`);
  const chunk = "1,".repeat(100_000);
  for (let left = n - 1; left > 0; left -= 100_000)
    writeSync(fd, left >= 100_000 ? chunk : "1,".repeat(left));
  writeSync(fd, `1]${tail}\n`);
}

type Letter = { position: string; reason: string; event_type: string };

describe("hostile single events through replay", () => {
  it("each is a letter naming its limit, in seconds, within 350 MB, the others applied", async () => {
    const db = await scope.db();
    const file = join(dir, "hostile.jsonl");
    const fd = openSync(file, "w");
    const lines = [
      bag("1", { cents: 1999, items: ["a"] }),
      // 110 s of CPU and an exit 70 (10n ** 999999999n).
      bag("2", { cents: "1e999999999" }),
      // ~37 s (trailing zeros dropped one BigInt division at a time).
      bag("3", { cents: `1.${"0".repeat(100_000)}` }),
      // A 70,000-digit reason: over the reason's TEXT column, the letter's insert failed (exit 70).
      bag("4", { price: "9".repeat(70_000) }),
      bag("5", { cents: "7".repeat(70_000) }),
      // A timestamp with 10 fraction digits (refused, though the docs said the rest is dropped).
      bag("6", { packed_at: "2025-01-15T10:30:00.1234567890Z", tags: [{ color: "red", n: 3 }] }),
    ];
    writeSync(fd, `${lines.join("\n")}\n`);
    // 4 MB, 2.05 million elements: 1.26 GB of RSS on ad13941.
    writeBigBag(fd, "7", 2_050_000);
    writeSync(fd, `${bag("8", { cents: 1, items: ["z"] })}\n`);
    closeSync(fd);

    const started = Date.now();
    const r = cli(["replay", file, "--projections", SPECS, "--json"], { MYSQL_URL: db.url });
    const seconds = (Date.now() - started) / 1000;
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ read: 8, applied: 3, dead_lettered: 5 });
    expect(summary.max_rss_mb).toBeLessThan(350);
    expect(seconds).toBeLessThan(60);

    const letters = await db.rows<Letter>(
      "SELECT position, reason, event_type FROM projector_dead_letters ORDER BY partition_id, seq",
    );
    const reasons = letters.map((l) => l.reason);
    expect(reasons[0]).toBe(
      "bags.amount ← div($.data.cents, constant 100): div: the number 1e999999999 has an exponent beyond the limit of ±400 for exact arithmetic",
    );
    expect(reasons[1]).toBe(
      "bags.amount ← div($.data.cents, constant 100): div: a number of 100002 characters is over the limit of 100 digits for exact arithmetic",
    );
    expect(reasons[2]).toMatch(
      /^bags\.price ← \$\.data\.price: 9+ …\[\d+ characters, cut\]… 9+ is out of range for decimal\(12,2\)$/,
    );
    expect(reasons[2]!.length).toBeLessThanOrEqual(2000);
    expect(reasons[3]).toBe(
      "bags.amount ← div($.data.cents, constant 100): div: a number of 70000 characters is over the limit of 100 digits for exact arithmetic",
    );
    expect(reasons[4]).toBe(
      "bag_items: for_each $.data.items has 2050000 elements, 6150000 values with the 3 columns of each row: over the limit of 250000 values an event may map to",
    );
    expect(
      await db.rows(
        "SELECT bag_id, amount, packed_at, JSON_UNQUOTE(JSON_EXTRACT(red, '$.n')) red_n FROM bags ORDER BY bag_id",
      ),
    ).toEqual([
      { bag_id: "bag-1", amount: "19.99", packed_at: null, red_n: null },
      { bag_id: "bag-6", amount: null, packed_at: "2025-01-15 10:30:00.123456", red_n: "3" },
      { bag_id: "bag-8", amount: "0.01", packed_at: null, red_n: null },
    ]);
    expect(await db.rows("SELECT COUNT(*) n FROM bag_items")).toEqual([{ n: 2 }]);
  }, 240_000);

  it("a 4 MB event of other shapes peaks below 350 MB too: applied at the limit, or a letter", async () => {
    const at = Math.floor(250_000 / 3);
    const shapes: [string, () => string, "applied" | "dead_lettered"][] = [
      [
        "an array at the limit of values",
        () => bag("10", { items: new Array(at).fill("x".repeat(20)) }),
        "applied",
      ],
      [
        "an array at the limit in a 4 MB event (the rest padding)",
        () => bag("14", { items: new Array(at).fill("x".repeat(20)), pad: "p".repeat(2_000_000) }),
        "applied",
      ],
      [
        "an object map of 250,000 keys",
        () =>
          bag("11", { items: Object.fromEntries(Array.from({ length: 250_000 }, (_, i) => [`k${i}`, 1])) }),
        "dead_lettered",
      ],
      [
        "150,000 tags, most of them matched by a filter into a JSON column",
        () => bag("12", { tags: Array.from({ length: 150_000 }, (_, i) => ({ color: "red", n: i })) }),
        "applied",
      ],
      [
        "one 4 MB string where 20 characters fit",
        () => bag("13", { items: ["y".repeat(4_000_000)] }),
        "dead_lettered",
      ],
    ];
    for (const [what, line, outcome] of shapes) {
      const db = await scope.db();
      const file = join(dir, "shape.jsonl");
      writeFileSync(file, `${line()}\n`);
      const r = cli(["replay", file, "--projections", SPECS, "--json"], { MYSQL_URL: db.url });
      expect(r.status, `${what}: ${r.stderr}`).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary[outcome], what).toBe(1);
      expect(summary.max_rss_mb, what).toBeLessThan(350);
    }
  }, 240_000);

  it("many row-heavy events in one read are applied in pieces, within 350 MB (1.5 GB at once before)", async () => {
    const db = await scope.db();
    const file = join(dir, "heavy.jsonl");
    const at = Math.floor(250_000 / 3);
    const lines = Array.from({ length: 12 }, (_, i) => bag(`2${i}`, { items: new Array(at).fill(1) }));
    writeFileSync(file, `${lines.join("\n")}\n`);
    const r = cli(["replay", file, "--projections", SPECS, "--json"], { MYSQL_URL: db.url });
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ read: 12, applied: 12, batches: 12 });
    expect(summary.max_rss_mb).toBeLessThan(350);
    expect(await db.rows("SELECT COUNT(*) n FROM bag_items")).toEqual([{ n: 12 * at }]);
  }, 240_000);

  it("a filter path that would visit more than its limit of values is the event's letter, the stream goes on", async () => {
    const db = await scope.db();
    const file = join(dir, "wide-tags.jsonl");
    // 4.1 million tags for the spec's filter (bags.red) to look at: over MAX_PATH_VISITS (4 million).
    const fd = openSync(file, "w");
    writeSync(fd, `${bag("31", { cents: 100, tags: [{ color: "red", n: 2 }] })}\n`);
    const [head, tail] = bag("32", { cents: 100, tags: ["HOLE"] }).split('["HOLE"]') as [string, string];
    writeSync(fd, `${head}[`);
    const chunk = "1,".repeat(100_000);
    for (let i = 0; i < 41; i++) writeSync(fd, chunk);
    writeSync(fd, `1]${tail}\n`);
    writeSync(fd, `${bag("33", { cents: 300 })}\n`);
    closeSync(fd);
    const r = cli(["replay", file, "--projections", SPECS, "--json", "--max-record-bytes", "16mb"], {
      MYSQL_URL: db.url,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 3, applied: 2, dead_lettered: 1 });
    expect(
      await db.rows("SELECT bag_id, JSON_VALUE(red, '$.color') AS color FROM bags ORDER BY bag_id"),
    ).toEqual([
      { bag_id: "bag-31", color: "red" },
      { bag_id: "bag-33", color: null },
    ]);
    const [letter] = await db.rows<Letter>("SELECT position, reason FROM projector_dead_letters");
    expect(letter!.position).toMatch(/^line 2 #/);
    expect(letter!.reason).toContain("visits more than 4000000 values of the event (the limit)");
  }, 240_000);

  it("a spec with a hostile filter is refused before anything runs (exit 1, no file written)", async () => {
    const db = await scope.db();
    const specs = join(dir, "hostile-spec");
    mkdirSync(specs);
    const marker = join(dir, "pwned");
    const yaml = (await import("node:fs"))
      .readFileSync(join(SPECS, "bags.yaml"), "utf8")
      .replace(
        `"$.data.tags[?(@.color == 'red' && @.n > 1)]"`,
        JSON.stringify(
          `$.data.tags[?(@.constructor.constructor('return process')().mainModule.require('fs').writeFileSync('${marker}','x'))]`,
        ),
      );
    writeFileSync(join(specs, "bags.yaml"), yaml);
    const input = join(dir, "one.jsonl");
    writeFileSync(input, `${bag("1", { tags: [{ color: "red" }] })}\n`);
    const r = cli(["replay", input, "--projections", specs], { MYSQL_URL: db.url });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bags\.yaml:\d+:\d+: path .* does not compile: unexpected .* in the filter/);
    expect(existsSync(marker)).toBe(false);
    expect(await db.rows("SHOW TABLES")).toEqual([]);
  });
});
