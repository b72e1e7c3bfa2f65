import { rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDb, indexesOf, type TestDb } from "../helpers/db.js";
import { projector } from "../helpers/kafka/processes.js";
import { testScope } from "../helpers/kafka/scope.js";
import { checksums, editedSpecs, PHONE_EDITS } from "../helpers/letters.js";
import { replayReference } from "../helpers/reference.js";
import { readEvents, streamFile } from "../helpers/streams.js";
import { summaryOf } from "../helpers/summary.js";

const scope = testScope();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The specs with orders.customer_phone (PHONE_EDITS), in a folder removed at the end. */
function phoneSpecs(): string {
  const dir = editedSpecs(PHONE_EDITS);
  dirs.push(dir);
  return dir;
}

/** The reference: a replay of `file` with the specs in `specs`, dropped at the end. */
async function reference(file: string, specs: string): Promise<TestDb> {
  return scope.keep((await replayReference(file, specs)).db);
}

/** What a kill can leave: the live tables, old or swapped, never one of the pair without the other. */
async function swapState(db: TestDb): Promise<{ tables: string[]; phone: boolean }> {
  const tables = (
    await db.rows<{ t: string }>(
      "SELECT TABLE_NAME t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'order%' ORDER BY 1",
    )
  ).map((r) => r.t);
  const phone =
    (
      await db.rows(
        "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' AND COLUMN_NAME = 'customer_phone'",
      )
    ).length > 0;
  return { tables, phone };
}

describe("projector rebuild killed at random moments", () => {
  it("a rerun resumes or finishes the swap: the tables equal a replay with the new specs, never half swapped", async () => {
    const file = await streamFile(12_000, 43);
    const specs = phoneSpecs();
    const { db, env } = await scope.kafka(3);
    const ref = reference(file, specs);
    expect((await projector(["emit", file], env)).status).toBe(0);
    const built = await projector(["run", "--until-caught-up", "--json"], env);
    expect(built.status, built.stderr.slice(-2000)).toBe(0);
    expect(summaryOf(built).read).toBe(readEvents(file).length);

    const delays = Array.from({ length: 5 }, () => 300 + Math.floor(Math.random() * 2500));
    const seen: string[] = [];
    for (const delay of delays) {
      const p = scope.spawn(["rebuild", "orders", "--batch-size", "200", "--projections", specs], env);
      await sleep(delay);
      p.kill("SIGKILL");
      const r = await p.done;
      const s = await swapState(db);
      const phase = (await db.rows<{ phase: string }>("SELECT phase FROM projector_rebuilds"))[0]?.phase;
      seen.push(`${delay} ms: exit ${r.status ?? "killed"}, phase ${phase}, ${s.tables.join(" ")}`);
      const why = seen.join("\n");
      // Both live tables are there, always; the old pair exists exactly when the new orders is in.
      expect(s.tables, why).toEqual(expect.arrayContaining(["orders", "order_items"]));
      expect(s.tables.includes("orders__old"), why).toBe(s.phone);
      expect(s.tables.includes("order_items__old"), why).toBe(s.phone);
    }

    const done = await projector(["rebuild", "orders", "--json", "--projections", specs], env);
    expect(done.status, `${seen.join("\n")}\n${done.stderr.slice(-3000)}`).toBe(0);
    expect((await swapState(db)).phone).toBe(true);
    expect(await checksums(db), seen.join("\n")).toEqual(await checksums(await ref));
    // Built at the end by the attempt that finished, whichever attempt dropped them.
    const pair = ["orders", "order_items"];
    expect(await indexesOf(db, pair)).toEqual(await indexesOf(await ref, pair));
    // The live group goes on with the new specs and finds nothing left to do.
    const after = await projector(["run", "--until-caught-up", "--json", "--projections", specs], env);
    expect(after.status, after.stderr.slice(-2000)).toBe(0);
    expect(summaryOf(after).applied).toBe(0);
    const status = JSON.parse((await projector(["status", "--json", "--projections", specs], env)).stdout);
    expect(status.needs_rebuild).toEqual([]);
    expect(status.versions.orders.state).toBe("current");
  }, 300_000);

  it("tables built by replay are rebuilt with --from <file>; without it, rebuild says so", async () => {
    const file = await streamFile(3_000, 44);
    const specs = phoneSpecs();
    const db = scope.keep(await createTestDb());
    const env = { MYSQL_URL: db.url };
    const ref = reference(file, specs);
    expect((await projector(["replay", file], env)).status).toBe(0);
    const { env: kenv } = await scope.kafka(1);
    const refused = await projector(["rebuild", "orders", "--projections", specs], {
      ...kenv,
      MYSQL_URL: db.url,
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("--from <file>");

    const r = await projector(["rebuild", "orders", "--from", file, "--json", "--projections", specs], env);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({
      rebuilt: ["orders", "order_items"],
      dead_lettered: 0,
    });
    expect(await checksums(db)).toEqual(await checksums(await ref));
    expect(await indexesOf(db, ["orders", "order_items"])).toEqual(
      await indexesOf(await ref, ["orders", "order_items"]),
    );
    // The old tables are kept, and the printed statement swaps them back.
    const back = JSON.parse(r.stdout.trim()).swap_back as string;
    expect(back).toMatch(/^RENAME TABLE /);
  }, 180_000);
});
