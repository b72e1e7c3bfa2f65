import { setTimeout as sleep } from "node:timers/promises";

/** How long to wait before attempt `attempt + 1` (0-based): `initialMs` doubling up to `maxMs`. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** attempt);
}

/** Waits `ms`; false when `signal` aborted the wait (or had already). */
export async function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
    return true;
  } catch {
    return false;
  }
}
