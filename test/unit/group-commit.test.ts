import { describe, expect, it } from "vitest";
import type { SourceRecord } from "../../src/core/source-record.js";
import type { WhileWaiting } from "../../src/run/executor.js";
import { GroupCommit } from "../../src/run/group-commit.js";
import { MAX_BATCH_VALUES, Pieces, type Prepared } from "../../src/run/prepare.js";

/**
 * The group commit's packing and lookahead hand-off, against an executor that records what each
 * transaction holds and what it was offered to plan ahead (the real executor is exercised with
 * MariaDB and Kafka in the integration tests).
 */
class Recorder {
  readonly transactions: string[][] = [];
  /** Per transaction: the batch offered for planning ahead (positions), or null. */
  readonly offered: (string[] | null)[] = [];
  /** Per transaction: whether it was the very batch offered ahead by the transaction before. */
  readonly wasOffered: boolean[] = [];
  readonly log: string[] = [];
  failing = new Set<number>();
  private lastOffered: readonly Prepared[] | undefined;

  prepare(records: readonly SourceRecord[]): Prepared[] {
    return records.map((record) => ({ kind: "skip", record, eventType: "t" }));
  }

  /** Batches offered to plan ahead after the first round trip (GroupCommit composing late). */
  readonly lateOffered: string[][] = [];

  planAhead(next: readonly Prepared[]): boolean {
    this.lastOffered = next;
    this.lateOffered.push(next.map((p) => p.record.position));
    return true;
  }

  async applyPrepared(prepared: readonly Prepared[], whileWaiting?: WhileWaiting): Promise<void> {
    const n = this.transactions.length;
    this.transactions.push(prepared.map((p) => p.record.position));
    this.wasOffered.push(prepared === this.lastOffered);
    await new Promise((r) => setImmediate(r)); // the first round trip is on its way
    const next = whileWaiting?.();
    this.lastOffered = next;
    this.offered.push(next ? next.map((p) => p.record.position) : null);
    await new Promise((r) => setTimeout(r, 2));
    if (this.failing.has(n)) throw new Error(`transaction ${n} failed`);
    this.log.push(`commit ${n}`);
  }
}

const records = (p: string, n: number): SourceRecord[] =>
  Array.from({ length: n }, (_, i) => ({ value: "{}", position: `${p}${i}`, source: p }));

/** Resolves once the records are committed, as one Kafka partition's list. */
const commit = async (g: GroupCommit, list: SourceRecord[]) => (await g.accept(list))!.committed;

/** Accepts the lists one after the other (each queued before the next comes), then waits for their commits. */
async function acceptInTurn(g: GroupCommit, ...lists: SourceRecord[][]): Promise<void> {
  const commits: Promise<void>[] = [];
  for (const list of lists) commits.push((await g.accept(list))!.committed);
  await Promise.all(commits);
}

/** "ok", or the message it was rejected with. */
const outcome = (p: Promise<void>) =>
  p.then(
    () => "ok",
    (e: Error) => e.message,
  );

describe("group commit", () => {
  it("packs whole submissions into transactions of at most the limit, in the order they came", async () => {
    const ex = new Recorder();
    const g = new GroupCommit(ex, 4);
    await Promise.all([commit(g, records("a", 2)), commit(g, records("b", 1)), commit(g, records("c", 3))]);
    expect(ex.transactions).toEqual([
      ["a0", "a1", "b0"],
      ["c0", "c1", "c2"],
    ]);
  });

  it("offers the next transaction for planning ahead when a whole one is queued, and applies that very batch", async () => {
    const ex = new Recorder();
    const g = new GroupCommit(ex, 4);
    // b is accepted (less than a transaction's worth waits), but does not fit beside a.
    await acceptInTurn(g, records("a", 1), records("b", 4));
    expect(ex.transactions).toEqual([["a0"], ["b0", "b1", "b2", "b3"]]);
    expect(ex.offered[0]).toEqual(["b0", "b1", "b2", "b3"]);
    expect(ex.wasOffered).toEqual([false, true]);
  });

  it("leaves less than a transaction to fill up instead of offering it", async () => {
    const ex = new Recorder();
    const g = new GroupCommit(ex, 5);
    await acceptInTurn(g, records("a", 4), records("b", 2));
    expect(ex.transactions[0]).toEqual(["a0", "a1", "a2", "a3"]);
    expect(ex.offered[0]).toBeNull();
    expect(ex.transactions[1]).toEqual(["b0", "b1"]);
    expect(ex.wasOffered).toEqual([false, false]);
  });

  it("composes a transaction that fills up while the one before is written, and offers it then", async () => {
    const ex = new Recorder();
    const g = new GroupCommit(ex, 4);
    const a = commit(g, records("a", 1));
    // Transaction 0 ([a0]) is written with nothing to offer: less than a transaction's worth waits.
    while (ex.offered.length === 0) await new Promise((r) => setImmediate(r));
    expect(ex.offered[0]).toBeNull();
    const b = commit(g, records("b", 2));
    expect(ex.lateOffered).toEqual([]); // 2 of 4 queued: not yet
    const c = commit(g, records("c", 2));
    const d = commit(g, records("d", 1));
    await Promise.all([a, b, c, d]);
    expect(ex.lateOffered).toEqual([["b0", "b1", "c0", "c1"]]);
    expect(ex.transactions).toEqual([["a0"], ["b0", "b1", "c0", "c1"], ["d0"]]);
    expect(ex.wasOffered).toEqual([false, true, false]);
  });

  it("accepts until a transaction's worth waits, then holds the submitter back", async () => {
    const ex = new Recorder();
    const g = new GroupCommit(ex, 2);
    const order: string[] = [];
    const noted =
      (name: string) =>
      <T>(x: T) => {
        order.push(`${name} accepted`);
        return x;
      };
    const a = g.accept(records("a", 2)).then(noted("a"));
    const b = g.accept(records("b", 2)).then(noted("b"));
    await a;
    await new Promise((r) => setImmediate(r));
    // a is queued (a transaction's worth): b waits until a's transaction takes it off the queue.
    expect(order).toEqual(["a accepted"]);
    const [x, y] = await Promise.all([a, b]);
    await Promise.all([x!.committed, y!.committed]);
    expect(order).toEqual(["a accepted", "b accepted"]);
    expect(ex.transactions).toEqual([
      ["a0", "a1"],
      ["b0", "b1"],
    ]);
  });

  it("rejects a failed transaction's submissions and all queued behind them, then goes on", async () => {
    const ex = new Recorder();
    ex.failing.add(0);
    const g = new GroupCommit(ex, 3);
    const x = outcome(commit(g, records("x", 2)));
    const y = outcome(commit(g, records("y", 1)));
    // Queued while transaction 0 runs: committing it would apply records past the failed ones.
    const z = outcome(commit(g, records("z", 2)));
    expect(await x).toBe("transaction 0 failed");
    expect(await y).toBe("transaction 0 failed");
    expect(await z).toBe("transaction 0 failed");
    // The queue is empty again: a later submission is committed in a transaction of its own.
    expect(await outcome(commit(g, records("w", 1)))).toBe("ok");
    expect(ex.transactions).toEqual([["x0", "x1", "y0"], ["w0"]]);
    expect(ex.log).toEqual(["commit 1"]);
  });

  it("queues nothing when the caller no longer wants it after waiting for room", async () => {
    const ex = new Recorder();
    const g = new GroupCommit(ex, 2);
    let wanted = true;
    const a = commit(g, records("a", 2));
    const b = g.accept(records("b", 1), () => wanted); // waits: a transaction's worth is queued
    wanted = false;
    expect(await b).toBeUndefined();
    await a;
    expect(ex.transactions).toEqual([["a0", "a1"]]);
  });
});

describe("row-heavy events", () => {
  /** An executor whose events weigh `values[i]` values of replace rows each. */
  class Heavy extends Recorder {
    constructor(private readonly values: Record<string, number>) {
      super();
    }
    override prepare(records: readonly SourceRecord[]): Prepared[] {
      return records.map(
        (record) =>
          ({
            kind: "event",
            record,
            eventType: "t",
            eventId: record.position,
            ops: [],
            filteredActions: 0,
            values: this.values[record.position] ?? 0,
          }) as Prepared,
      );
    }
  }

  it("Pieces: a piece ends at MAX_BATCH_VALUES, or before an event that would pass it", () => {
    const weights = [100_000, 100_000, 100_000, 10, 300_000, 10, 0];
    const ex = new Heavy(Object.fromEntries(weights.map((w, i) => [`a${i}`, w])));
    let prepared = 0;
    const pieces = new Pieces(
      (r) => {
        prepared += r.length;
        return ex.prepare(r);
      },
      records("a", weights.length),
    );
    const out: string[][] = [];
    while (!pieces.done) {
      out.push(pieces.next().map((p) => p.record.position));
      // Prepared one piece ahead at most: the event that did not fit is held, nothing more.
      expect(prepared).toBeLessThanOrEqual(out.flat().length + 1);
    }
    expect(MAX_BATCH_VALUES).toBe(250_000);
    expect(out).toEqual([["a0", "a1"], ["a2", "a3"], ["a4"], ["a5", "a6"]]);
  });

  it("a list of them is applied in transactions of at most MAX_BATCH_VALUES, in order", async () => {
    const ex = new Heavy({ a0: 200_000, a1: 200_000, a2: 10, b0: 100_000, b1: 100_000 });
    const g = new GroupCommit(ex, 1000);
    await acceptInTurn(g, records("a", 4), records("b", 2));
    expect(ex.transactions).toEqual([["a0"], ["a1", "a2", "a3"], ["b0", "b1"]]);
  });

  it("a heavy piece counts as a transaction's worth: the submitter waits before preparing more", async () => {
    const ex = new Heavy({ a0: 250_000, b0: 250_000 });
    const g = new GroupCommit(ex, 1000);
    const order: string[] = [];
    const noted =
      (name: string) =>
      <T>(x: T) => {
        order.push(name);
        return x;
      };
    const a = g.accept(records("a", 1)).then(noted("a"));
    const b = g.accept(records("b", 1)).then(noted("b"));
    await a;
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(["a"]);
    const [x, y] = await Promise.all([a, b]);
    await Promise.all([x!.committed, y!.committed]);
    expect(ex.transactions).toEqual([["a0"], ["b0"]]);
  });
});
