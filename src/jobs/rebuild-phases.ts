import type { SourceRecord } from "../core/source-record.js";

/**
 * The rebuild protocol as phases over two interfaces: the database (RebuildDatabase: the shadows,
 * the offsets, the fence) and the reader of the topics (RebuildReader). rebuild.ts implements them
 * over MySQL and Kafka; the unit tests over memory.
 *
 *   1. start:     finish an interrupted swap, resume from the rebuild's own offsets, or start over;
 *   2. build:     the shadows from a file, or from the earliest offsets of the topics;
 *   3. catch up:  round after round toward the live group's offsets, never past them;
 *   4. fence:     hold the live runs' batches (the specs generation, locked), bring the shadows
 *                 exactly to the live offsets, mark the rebuild swapping and move the generation on;
 *   5. swap:      RENAME the shadows in, record the new versions, forget the rebuild's offsets.
 */

/** Offsets by partition key (topic NUL partition). */
export type Offsets = ReadonlyMap<string, bigint>;

/** A rebuild as projector_rebuilds recorded it. */
export interface RecordedRebuild {
  readonly phase: string;
  readonly fingerprint: string;
}

/** How a rebuild begins, from what an earlier one left. */
export type Start =
  /** Interrupted while swapping: the live runs are held (the generation moved); finish it. */
  | { readonly kind: "finish-swap"; readonly sameSpecs: boolean }
  /** Interrupted while building with the same specs, its shadows there: go on from its own offsets. */
  | { readonly kind: "resume" }
  /** Anything else: drop the shadows and the rebuild's offsets, build from the start. */
  | { readonly kind: "fresh" };

/** Phase 1: how to begin. A rebuild from a file always starts over (its offsets are lines). */
export function startOf(
  previous: RecordedRebuild | undefined,
  plan: { readonly fingerprint: string },
  shadowsThere: boolean,
  fromFile: boolean,
): Start {
  if (previous?.phase === "swapping")
    return { kind: "finish-swap", sameSpecs: previous.fingerprint === plan.fingerprint };
  const resume =
    !fromFile &&
    previous !== undefined &&
    previous.phase !== "done" &&
    previous.fingerprint === plan.fingerprint &&
    shadowsThere;
  return resume ? { kind: "resume" } : { kind: "fresh" };
}

/** What the catch-up needs of the reader of the topics. */
export interface RebuildReader {
  /** Where the reader is: the next offset of each partition. */
  readonly next: Offsets;
  /** Events between the reader and the targets. */
  behind(targets: Offsets): bigint;
  /** Reads and applies every record before the targets (no further). */
  readTo(
    targets: Offsets,
    apply: (records: SourceRecord[]) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void>;
}

/** The shadow is close enough to the live tables to fence them and catch up the rest. */
export const CLOSE_ENOUGH = 2_000n;

/**
 * Phase 3: catches up with the live offsets round after round, without passing them; stops when
 * close enough (CLOSE_ENOUGH), or when not closing in (the live run as fast as the rebuild: from the
 * fourth round on, no closer than the round before), for the fence to bring the rest.
 */
export async function catchUp(
  reader: RebuildReader,
  liveOffsets: () => Promise<Offsets>,
  progress: (behind: bigint) => Promise<void>,
  apply: (records: SourceRecord[]) => Promise<void>,
  signal: AbortSignal,
): Promise<{ rounds: number; behind: bigint }> {
  let last = -1n;
  for (let round = 0; ; round++) {
    const targets = await liveOffsets();
    const behind = reader.behind(targets);
    await progress(behind);
    if (behind <= CLOSE_ENOUGH || (round >= 3 && last >= 0n && behind >= last))
      return { rounds: round, behind };
    last = behind;
    await reader.readTo(targets, apply, signal);
  }
}

/**
 * Under the fence: the reader must be exactly where the live tables are, nothing missing, nothing
 * ahead; throws naming the first partition where it is not.
 */
export function checkAtLive(reader: Offsets, live: Offsets): void {
  for (const [k, t] of live) {
    const at = reader.get(k);
    if (at !== undefined && at !== t)
      throw new Error(`rebuild shadow at ${at} of ${k.replace("\u0000", "/")}, the live tables at ${t}`);
  }
}

/** The partitions of `topics` in an offsets map. */
export function topicOffsets(all: Offsets, topics: readonly string[]): Map<string, bigint> {
  const want = new Set(topics);
  return new Map([...all].filter(([k]) => want.has(k.split("\u0000")[0]!)));
}

/** What the fence and the swap need of the database. */
export interface RebuildDatabase {
  /**
   * Holds every live run's batches (the generation, locked exclusively in a transaction of its own),
   * reads the live group's offsets under the lock, runs `inside` with them and, in that transaction,
   * marks the rebuild swapping and moves the generation on: once it commits, live runs stop (their
   * batches see the generation move) and new ones wait for the swap.
   */
  fenced(inside: (liveOffsets: Offsets) => Promise<void>): Promise<void>;
  /** Whether every shadow is still there (not swapped in yet). */
  shadowsThere(): Promise<boolean>;
  /** Drops what an earlier swap kept as `<table>__old`, then renames the shadows in, in one RENAME. */
  swapIn(): Promise<void>;
  /** Records the tables' new versions, the rebuild done, and forgets its own offsets: one transaction. */
  recordDone(): Promise<void>;
  /** Drops the old tables (`--drop-old`). */
  dropOld(): Promise<void>;
}

/**
 * Phase 4: the fence. `catchUpUnder` brings the shadows to the live offsets read under the lock
 * (nothing to do when built from a file: no live offsets to meet).
 */
export async function fence(
  db: RebuildDatabase,
  onFenced: () => Promise<void>,
  catchUpUnder: (liveOffsets: Offsets) => Promise<void>,
): Promise<void> {
  await db.fenced(async (live) => {
    await onFenced();
    await catchUpUnder(live);
  });
}

/**
 * Phase 5: swaps the shadows in (unless an interrupted swap already did), records the new versions
 * and the rebuild done, and drops the old tables when asked. A swap interrupted with other specs
 * than those on disk is refused: it must finish with the specs it began with.
 */
export async function swap(
  db: RebuildDatabase,
  opts: { sameSpecs: boolean; dropOld: boolean; tables: readonly string[] },
): Promise<void> {
  if (!opts.sameSpecs)
    throw new SwapRefused(
      `a rebuild of ${opts.tables.join(", ")} with other specs was interrupted while swapping: run it again with the specs it began with`,
    );
  if (await db.shadowsThere()) await db.swapIn();
  await db.recordDone();
  if (opts.dropOld) await db.dropOld();
}

/** An interrupted swap the specs on disk cannot finish (the user runs the rebuild with its specs). */
export class SwapRefused extends Error {
  override name = "SwapRefused";
}
