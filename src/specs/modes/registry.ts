import { readdirSync } from "node:fs";
import type { ActionMode } from "../types.js";
import type { ModeDef } from "./mode.js";

/**
 * The action modes: every file of this folder but mode.ts and this one is one (its default export),
 * found when this module loads, in the order of MODE_ORDER (the docs' and messages' order).
 */
const dir = new URL("./", import.meta.url);
const files = readdirSync(dir)
  .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith(".d.ts") && !/^(mode|registry)\.(js|ts)$/.test(f))
  .sort();
const found: ModeDef[] = [];
for (const f of files) found.push(((await import(new URL(f, dir).href)) as { default: ModeDef }).default);

/** The order modes are listed in (docs, messages); a mode not named here comes last. */
const MODE_ORDER: readonly string[] = ["upsert", "update", "soft_delete", "delete", "append", "replace"];
const rank = (m: ModeDef) => (MODE_ORDER.includes(m.name) ? MODE_ORDER.indexOf(m.name) : MODE_ORDER.length);

/** Every mode, by name, in the docs' order. */
export const MODES: ReadonlyMap<ActionMode, ModeDef> = new Map(
  found.sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : 1)).map((m) => [m.name, m]),
);

/** The docs' table of modes (docs/spec-language.md, "Modes"), as Markdown. */
export function modeTable(): string {
  const rows = [...MODES.values()].map((m) => [`\`${m.name}: T\``, m.doc.keys, m.doc.does] as const);
  const w = [0, 1, 2].map((i) =>
    Math.max(["mode", "keys", "does"][i]!.length, ...rows.map((r) => r[i]!.length)),
  );
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(" | ")} |`;
  return [
    line(["mode", "keys", "does"]),
    `| ${w.map((n) => "-".repeat(n)).join(" | ")} |`,
    ...rows.map(line),
  ].join("\n");
}
