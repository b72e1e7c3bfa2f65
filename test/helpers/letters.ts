import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "./cli.js";
import type { TestDb } from "./db.js";
import { projectedTables } from "./reference.js";

/**
 * A copy of projections/ with one text of one file replaced (its first occurrence): a spec too
 * narrow for real data, as an operator would ship it by mistake.
 */
export function narrowedSpecs(file: string, from: string, to: string): string {
  return editedSpecs([[file, from, to]]);
}

/** A copy of projections/ with each edit [file, text, replacement] made (the text's first occurrence). */
export function editedSpecs(edits: readonly (readonly [string, string, string])[]): string {
  const dir = mkdtempSync(join(tmpdir(), "projector-specs-"));
  for (const f of readdirSync(join(REPO, "projections")))
    copyFileSync(join(REPO, "projections", f), join(dir, f));
  for (const [file, from, to] of edits) {
    const text = readFileSync(join(dir, file), "utf8");
    if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
    writeFileSync(join(dir, file), text.replace(from, to));
  }
  return dir;
}

/** orders gains customer_phone, written by order.created: the rows already there need a rebuild. */
export const PHONE_EDITS: readonly (readonly [string, string, string])[] = [
  [
    "order.yaml",
    "      customer_email: { type: varchar(255), nullable: true }\n",
    "      customer_email: { type: varchar(255), nullable: true }\n      customer_phone: { type: varchar(40), nullable: true }\n",
  ],
  [
    "order.yaml",
    "        customer_email: $.data.customer.email\n",
    "        customer_email: $.data.customer.email\n        customer_phone: $.data.customer.phone\n",
  ],
];

/** CHECKSUM TABLE of every projected table: table → checksum. */
export async function checksums(db: TestDb): Promise<Record<string, string>> {
  const tables = await projectedTables();
  const rows = await db.rows<{ Table: string; Checksum: string | number | null }>(
    `CHECKSUM TABLE ${tables.map((t) => `\`${t}\``).join(", ")}`,
  );
  return Object.fromEntries(rows.map((r) => [r.Table.split(".").pop()!, String(r.Checksum)]));
}

/** Letters by kind and event type: `kind event_type` → count. */
export async function letterCounts(db: TestDb): Promise<Record<string, number>> {
  const rows = await db.rows<{ k: string; n: number }>(
    "SELECT CONCAT(kind, ' ', COALESCE(event_type, '-')) k, COUNT(*) n FROM projector_dead_letters GROUP BY 1 ORDER BY 1",
  );
  return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
}
