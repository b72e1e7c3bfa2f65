// How far a consumer group has got: the offsets stored with the rows, and `projector status --json`.
import type { TestDb } from "../db.js";
import { projector } from "./processes.js";

/** Events applied so far by `group` (sum of the next offsets stored with the rows; topics start at 0). */
export async function appliedCount(db: TestDb, group: string): Promise<number> {
  try {
    const [r] = await db.rows<{ n: string | number | null }>(
      "SELECT SUM(next_offset) n FROM projector_offsets WHERE consumer_group = ?",
      [group],
    );
    return Number(r?.n ?? 0);
  } catch {
    return 0; // the run has not created its tables yet
  }
}

export interface StatusJson {
  group: string;
  database: string;
  total_lag: number | null;
  partitions: {
    topic: string;
    partition: number;
    next_offset: string | null;
    high_watermark: string | null;
    lag: number | null;
  }[];
  dead_letters: number | null;
  rows: Record<string, number | null>;
  kafka_error?: string;
}

export async function status(env: Record<string, string>): Promise<StatusJson> {
  const r = await projector(["status", "--json"], env);
  if (r.status !== 0) throw new Error(`status failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusJson;
}
