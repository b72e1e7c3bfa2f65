// Reference results (`projector replay` into a fresh database) and comparisons of projected tables.
import { createHash } from "node:crypto";
import { expect } from "vitest";
import { createTestDb, type TestDb } from "./db.js";
import { projector } from "./kafka/processes.js";
import { type Summary, summaryOf } from "./summary.js";

let tablesOfSpecs: string[] | undefined;

/** Every table `projector ddl` creates. */
export async function projectedTables(): Promise<string[]> {
  if (!tablesOfSpecs) {
    const r = await projector(["ddl"]);
    if (r.status !== 0) throw new Error(`ddl failed: ${r.stderr}`);
    tablesOfSpecs = [...r.stdout.matchAll(/CREATE TABLE IF NOT EXISTS `(\w+)`/g)].map((m) => m[1]!).sort();
  }
  return tablesOfSpecs;
}

/** `projector replay <file>` (with the specs of `projections`, default projections/) into a fresh database: the reference result of a stream, and its summary. */
export async function replayReference(
  file: string,
  projections?: string,
): Promise<{ db: TestDb; summary: Summary }> {
  const db = await createTestDb("pjref");
  const specs = projections ? ["--projections", projections] : [];
  const r = await projector(["replay", file, "--json", ...specs], { MYSQL_URL: db.url });
  if (r.status !== 0) throw new Error(`replay failed (${r.status}): ${r.stderr}`);
  return { db, summary: summaryOf(r) };
}

/**
 * Per projected table: row count and a digest of its sorted rows (db.dump()). Equal digests mean
 * identical tables; the digests keep a failure's diff readable for tens of thousands of rows.
 */
export async function tableDigests(db: TestDb): Promise<Record<string, string>> {
  const tables = await projectedTables();
  const dump = await db.dump(tables);
  return Object.fromEntries(
    tables.map((t) => {
      const rows = (JSON.parse(dump[t]!) as string[]).length;
      return [t, `${rows} rows, sha256 ${createHash("sha256").update(dump[t]!).digest("hex").slice(0, 16)}`];
    }),
  );
}

/**
 * Explains how two databases' projected tables differ: per differing table, row counts and a few
 * rows found only on one side (empty when they are identical).
 */
export async function tableDifferences(db: TestDb, ref: TestDb): Promise<string> {
  const tables = await projectedTables();
  const [a, b] = [await db.dump(tables), await ref.dump(tables)];
  const out: string[] = [];
  for (const t of tables) {
    if (a[t] === b[t]) continue;
    const [ra, rb] = [new Set(JSON.parse(a[t]!) as string[]), new Set(JSON.parse(b[t]!) as string[])];
    const onlyA = [...ra].filter((r) => !rb.has(r));
    const onlyB = [...rb].filter((r) => !ra.has(r));
    out.push(
      `${t}: ${ra.size} rows vs ${rb.size} in the reference; ${onlyA.length} only here, ${onlyB.length} only in the reference`,
      ...onlyA.slice(0, 3).map((r) => `  here:      ${r.slice(0, 600)}`),
      ...onlyB.slice(0, 3).map((r) => `  reference: ${r.slice(0, 600)}`),
    );
  }
  return out.join("\n");
}

/** Asserts that `db`'s projected tables equal the reference's (`expected` = tableDigests(ref)), explaining any difference. */
export async function expectSameTables(
  db: TestDb,
  ref: TestDb,
  expected: Record<string, string>,
): Promise<void> {
  const got = await tableDigests(db);
  if (JSON.stringify(got) === JSON.stringify(expected)) return;
  expect(got, await tableDifferences(db, ref)).toEqual(expected);
}
