import { describe, expect, it } from "vitest";
import type { SourceRecord } from "../../src/core/source-record.js";
import {
  CLOSE_ENOUGH,
  catchUp,
  checkAtLive,
  fence,
  type Offsets,
  type RebuildDatabase,
  type RebuildReader,
  SwapRefused,
  startOf,
  swap,
  topicOffsets,
} from "../../src/jobs/rebuild-phases.js";

const key = (topic: string, p: number) => `${topic}\u0000${p}`;
const plan = { fingerprint: "f1" };

describe("rebuild phase 1: how a rebuild starts", () => {
  it("finishes an interrupted swap, saying whether the specs are those it began with", () => {
    expect(startOf({ phase: "swapping", fingerprint: "f1" }, plan, true, false)).toEqual({
      kind: "finish-swap",
      sameSpecs: true,
    });
    expect(startOf({ phase: "swapping", fingerprint: "f0" }, plan, false, true)).toEqual({
      kind: "finish-swap",
      sameSpecs: false,
    });
  });

  it("resumes only an unfinished rebuild with the same specs, its shadows there, from the topics", () => {
    const building = { phase: "catching up", fingerprint: "f1" };
    expect(startOf(building, plan, true, false)).toEqual({ kind: "resume" });
    expect(startOf(building, plan, false, false)).toEqual({ kind: "fresh" }); // a shadow dropped
    expect(startOf(building, plan, true, true)).toEqual({ kind: "fresh" }); // --from: offsets are lines
    expect(startOf({ phase: "catching up", fingerprint: "f0" }, plan, true, false)).toEqual({
      kind: "fresh",
    });
    expect(startOf({ phase: "done", fingerprint: "f1" }, plan, true, false)).toEqual({ kind: "fresh" });
    expect(startOf(undefined, plan, true, false)).toEqual({ kind: "fresh" });
  });
});

/** A reader over one partition of `t`; reading moves it to the target. */
class FakeReader implements RebuildReader {
  readonly positions = new Map<string, bigint>([[key("t", 0), 0n]]);
  readonly reads: bigint[] = [];
  constructor(private readonly perRead = Number.POSITIVE_INFINITY) {}
  get next(): Offsets {
    return this.positions;
  }
  behind(targets: Offsets): bigint {
    let n = 0n;
    for (const [k, t] of targets) n += t - (this.positions.get(k) ?? 0n);
    return n;
  }
  async readTo(targets: Offsets, apply: (records: SourceRecord[]) => Promise<void>): Promise<void> {
    for (const [k, t] of targets) {
      const at = this.positions.get(k) ?? 0n;
      const to =
        this.perRead === Number.POSITIVE_INFINITY ? t : at + BigInt(Math.min(this.perRead, Number(t - at)));
      expect(to).toBeLessThanOrEqual(t); // never past the live tables
      this.reads.push(to);
      await apply([]);
      this.positions.set(k, to);
    }
  }
}

describe("rebuild phase 3: catching up", () => {
  const signal = new AbortController().signal;

  it("reads toward the live offsets round after round until close enough", async () => {
    const reader = new FakeReader();
    // The live run goes on: each round the target is further on, less and less.
    const lives = [100_000n, 150_000n, 151_000n, 151_500n];
    let round = 0;
    const behinds: bigint[] = [];
    const result = await catchUp(
      reader,
      async () => new Map([[key("t", 0), lives[Math.min(round++, lives.length - 1)]!]]),
      async (b) => {
        behinds.push(b);
      },
      async () => undefined,
      signal,
    );
    expect(behinds).toEqual([100_000n, 50_000n, 1_000n]);
    expect(result).toEqual({ rounds: 2, behind: 1_000n });
    expect(reader.reads).toEqual([100_000n, 150_000n]);
    expect(result.behind).toBeLessThanOrEqual(CLOSE_ENOUGH);
  });

  it("stops from the fourth round when the live run keeps ahead (the fence brings the rest)", async () => {
    // The reader gains 10k a round, the live run 10k too: never closer.
    const reader = new FakeReader(10_000);
    let live = 50_000n;
    const behinds: bigint[] = [];
    const result = await catchUp(
      reader,
      async () => {
        live += 10_000n;
        return new Map([[key("t", 0), live]]);
      },
      async (b) => {
        behinds.push(b);
      },
      async () => undefined,
      signal,
    );
    expect(result.rounds).toBe(3);
    expect(behinds).toEqual([60_000n, 60_000n, 60_000n, 60_000n]);
    expect(result.behind).toBeGreaterThan(CLOSE_ENOUGH);
  });

  it("does not read at all when already close enough", async () => {
    const reader = new FakeReader();
    const result = await catchUp(
      reader,
      async () => new Map([[key("t", 0), 10n]]),
      async () => undefined,
      async () => undefined,
      signal,
    );
    expect(result).toEqual({ rounds: 0, behind: 10n });
    expect(reader.reads).toEqual([]);
  });
});

describe("rebuild phase 4: the fence", () => {
  it("reports fenced and catches up inside the locked transaction, with the offsets read under the lock", async () => {
    const calls: string[] = [];
    const live: Offsets = new Map([[key("t", 0), 7n]]);
    const db: RebuildDatabase = {
      async fenced(inside) {
        calls.push("lock");
        await inside(live);
        calls.push("swapping+generation, commit");
      },
      shadowsThere: async () => true,
      swapIn: async () => undefined,
      recordDone: async () => undefined,
      dropOld: async () => undefined,
    };
    await fence(
      db,
      async () => {
        calls.push("fenced");
      },
      async (offsets) => {
        calls.push(`catch up to ${offsets.get(key("t", 0))}`);
      },
    );
    expect(calls).toEqual(["lock", "fenced", "catch up to 7", "swapping+generation, commit"]);
  });

  it("a failed catch-up under the fence fails the fence (nothing swapped)", async () => {
    let committed = false;
    const db: RebuildDatabase = {
      async fenced(inside) {
        await inside(new Map());
        committed = true;
      },
      shadowsThere: async () => true,
      swapIn: async () => undefined,
      recordDone: async () => undefined,
      dropOld: async () => undefined,
    };
    await expect(
      fence(
        db,
        async () => undefined,
        async () => {
          throw new Error("broker gone");
        },
      ),
    ).rejects.toThrow("broker gone");
    expect(committed).toBe(false);
  });

  it("under the fence, the reader must be exactly at the live offsets", () => {
    const live = new Map([
      [key("t", 0), 10n],
      [key("t", 1), 5n],
    ]);
    expect(() => checkAtLive(new Map(live), live)).not.toThrow();
    // A partition the reader never saw (no records) is not a difference.
    expect(() => checkAtLive(new Map([[key("t", 0), 10n]]), live)).not.toThrow();
    expect(() => checkAtLive(new Map([[key("t", 0), 9n]]), live)).toThrow(
      "rebuild shadow at 9 of t/0, the live tables at 10",
    );
    expect(() => checkAtLive(new Map([[key("t", 1), 6n]]), live)).toThrow("of t/1");
  });

  it("keeps the offsets of the rebuilt topics only", () => {
    const all = new Map([
      [key("a", 0), 1n],
      [key("b", 0), 2n],
      [key("a", 1), 3n],
    ]);
    expect([...topicOffsets(all, ["a"])]).toEqual([
      [key("a", 0), 1n],
      [key("a", 1), 3n],
    ]);
  });
});

describe("rebuild phase 5: the swap", () => {
  function recording(shadows: boolean) {
    const calls: string[] = [];
    const db: RebuildDatabase = {
      fenced: async () => undefined,
      shadowsThere: async () => shadows,
      swapIn: async () => {
        calls.push("swap in");
      },
      recordDone: async () => {
        calls.push("record done");
      },
      dropOld: async () => {
        calls.push("drop old");
      },
    };
    return { db, calls };
  }

  it("swaps the shadows in, records the versions, drops the old tables only when asked", async () => {
    const a = recording(true);
    await swap(a.db, { sameSpecs: true, dropOld: false, tables: ["t"] });
    expect(a.calls).toEqual(["swap in", "record done"]);
    const b = recording(true);
    await swap(b.db, { sameSpecs: true, dropOld: true, tables: ["t"] });
    expect(b.calls).toEqual(["swap in", "record done", "drop old"]);
  });

  it("an interrupted swap whose RENAME went through only records the versions", async () => {
    const r = recording(false);
    await swap(r.db, { sameSpecs: true, dropOld: false, tables: ["t"] });
    expect(r.calls).toEqual(["record done"]);
  });

  it("refuses to finish a swap begun with other specs, touching nothing", async () => {
    const r = recording(true);
    await expect(swap(r.db, { sameSpecs: false, dropOld: true, tables: ["t", "u"] })).rejects.toThrow(
      SwapRefused,
    );
    await expect(swap(r.db, { sameSpecs: false, dropOld: true, tables: ["t", "u"] })).rejects.toThrow(
      "a rebuild of t, u with other specs was interrupted while swapping",
    );
    expect(r.calls).toEqual([]);
  });
});
