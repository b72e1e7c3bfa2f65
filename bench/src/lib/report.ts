import { fmt, round } from "./numbers.js";
import type { Ratio } from "./ratios.js";
import type { Stage, StageOutcome } from "./stage.js";

/** A ratio's value (or target) as printed: a percentage, or rounded with its unit. */
function show(r: Ratio, x: number | undefined): string {
  if (x === undefined) return "n/a";
  if (r.pct) return `${(x * 100).toFixed(0)} %`;
  return `${round(x, r.unit === "×" ? 1 : 0)}${r.unit ?? ""}`;
}

/** Prints the table of stages (in registry order; skipped ones left out) and the ratio lines on stdout. */
export function printReport(
  stages: readonly Stage[],
  outcomes: Readonly<Record<string, StageOutcome>>,
  ratios: readonly Ratio[],
): void {
  const rows: string[][] = [["stage", "events/s", "rows/s", "peak RSS MB", "notes"]];
  for (const stage of stages) {
    const s = outcomes[stage.name];
    if (!s || s.status === "skipped") continue;
    if (s.status === "error") {
      rows.push([stage.label, "error", "", "", (s.error.split("\n")[0] ?? "").slice(0, 100)]);
      continue;
    }
    rows.push([
      stage.label,
      fmt(s.events_per_second),
      fmt(s.rows_per_second),
      fmt(s.max_rss_mb),
      s.notes ?? "",
    ]);
  }
  const header = rows[0]!;
  const widths = header.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (i === 0 || i === 4 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!)))
      .join("  ");
  console.log("");
  console.log(line(header));
  console.log(widths.map((w) => "─".repeat(w)).join("  "));
  for (const r of rows.slice(1)) console.log(line(r));
  console.log("");
  const rw = Math.max(...ratios.map((r) => r.name.length));
  for (const r of ratios) {
    const mark = r.info ? "info " : r.pass === undefined ? "  -  " : r.pass ? "PASS " : "MISS ";
    const target = r.info ? "no target" : `target ${r.op === ">=" ? "≥" : "≤"} ${show(r, r.target)}`;
    console.log(`${mark} ${r.name.padEnd(rw)}  ${show(r, r.value).padStart(8)}   ${target}`);
  }
  console.log("");
}
