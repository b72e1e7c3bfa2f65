/** The end-of-run summary on stdout: a short table, or one JSON object with --json. */
export function printSummary(s: Record<string, unknown>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  const lines = [
    `read           ${s.read}`,
    `applied        ${s.applied}`,
    `stale          ${s.stale}`,
    `skipped        ${s.skipped}`,
    `dead-lettered  ${s.dead_lettered}`,
    `filtered       ${s.filtered} (and ${s.filtered_actions} actions)`,
    `unmatched ops  ${s.unmatched}${s.unmatched_kept ? ` (${s.unmatched_kept} events kept until their row arrives: projector dead-letters list --kind unmatched)` : ""}${s.missing_skipped ? `; ${s.missing_skipped} actions skipped (if_missing: skip)` : ""}`,
    ...(s.healed
      ? [`healed         ${s.healed} waiting events applied when their row arrived (their letters gone)`]
      : []),
    ...(s.already_counted
      ? [
          `counted once   ${s.already_counted} counting actions of redelivered events left out (counted already)`,
        ]
      : []),
    ...(s.mysql_warnings
      ? [`MySQL warnings ${s.mysql_warnings} (logged; SHOW WARNINGS after a statement names them)`]
      : []),
    `time           ${s.seconds} s (${s.events_per_second} events/s, ${s.rows_per_second} row writes/s)`,
    "row writes per table (inserts, updates and deletes of rows; a row written twice counts twice):",
    ...Object.entries(s.rows_by_table as Record<string, number>).map(([t, n]) => `  ${t.padEnd(24)} ${n}`),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
