import { setTimeout as sleep } from "node:timers/promises";
import type { Connection } from "mysql2/promise";
import { messageOf } from "./log.js";
import { select } from "./mysql.js";
import { round } from "./numbers.js";

/** What waiting for InnoDB took (`quiesced` in results.json). */
export type Quiesced =
  | {
      readonly seconds: number;
      readonly dirty_pages_before: number;
      readonly dirty_pages_after: number;
      readonly history_after: number;
    }
  /** The server keeps no such counters in information_schema (MySQL 8): not waited. */
  | { readonly skipped: string };

interface InnodbStatus {
  readonly dirty: number;
  readonly total: number;
  readonly history: number;
}

async function innodbStatus(admin: Connection): Promise<InnodbStatus> {
  const rows = await select<{ n: string; v: string }>(
    admin,
    "SELECT VARIABLE_NAME AS n, VARIABLE_VALUE AS v FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('INNODB_BUFFER_POOL_PAGES_DIRTY', 'INNODB_BUFFER_POOL_PAGES_TOTAL', 'INNODB_HISTORY_LIST_LENGTH')",
  );
  const get = (n: string) => Number(rows.find((r) => r.n === n)?.v ?? 0);
  return {
    dirty: get("INNODB_BUFFER_POOL_PAGES_DIRTY"),
    total: get("INNODB_BUFFER_POOL_PAGES_TOTAL"),
    history: get("INNODB_HISTORY_LIST_LENGTH"),
  };
}

/**
 * Waits until InnoDB has written back what earlier stages left dirty (and purged their history), so
 * that every database stage starts from the same quiet server instead of paying for the one before.
 * Done when the dirty pages are under 5 % of the buffer pool or stop shrinking; 120 s at most.
 */
export async function quiesce(admin: Connection): Promise<Quiesced> {
  const t0 = performance.now();
  let first: InnodbStatus;
  try {
    first = await innodbStatus(admin);
  } catch (e) {
    // MySQL 8 keeps these counters elsewhere (performance_schema): start without waiting.
    return { skipped: messageOf(e) };
  }
  let last = first;
  for (;;) {
    const quiet = last.dirty <= 0.05 * last.total && last.history < 1000;
    if (quiet || performance.now() - t0 > 120_000) break;
    await sleep(1000);
    const now = await innodbStatus(admin);
    const stalled = now.dirty >= last.dirty && now.history >= last.history;
    last = now;
    if (stalled) break;
  }
  return {
    seconds: round((performance.now() - t0) / 1000, 1),
    dirty_pages_before: first.dirty,
    dirty_pages_after: last.dirty,
    history_after: last.history,
  };
}
