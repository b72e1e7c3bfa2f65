import { setFlagsFromString } from "node:v8";

/**
 * V8 lets the heap grow up to 4× what survived the last full collection before collecting again. A
 * projector's live set is small (one or two batches, ~30 MB) but every batch is promoted to the old
 * generation before it dies (it lives across MySQL round trips), so the heap swings between ~25
 * and ~150 MB and the process's RSS follows the top. Growing by 2× instead keeps the 1M-event
 * backlog under ~215 MB instead of ~280 MB at the same speed (bench/PROFILE.md, "Memory").
 *
 * Not applied when the user tunes the heap themselves (NODE_OPTIONS or node's own flags).
 */
const HEAP_GROWING_PERCENT = 100;

const HEAP_FLAGS = /--(heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size)\b/;

/** Whether the user sized or tuned the heap on node's command line or in NODE_OPTIONS. */
export function heapTunedByUser(execArgv: readonly string[], nodeOptions: string): boolean {
  return execArgv.some((a) => HEAP_FLAGS.test(a)) || HEAP_FLAGS.test(nodeOptions);
}

/** Applies HEAP_GROWING_PERCENT unless the user tuned the heap. */
export function tuneHeap(): void {
  if (!heapTunedByUser(process.execArgv, process.env.NODE_OPTIONS ?? ""))
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
