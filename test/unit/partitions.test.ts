import { describe, expect, it } from "vitest";
import { partitionKey } from "../../src/core/source-record.js";
import { Partitions } from "../../src/source/kafka/partitions.js";

describe("Partitions: whether the consumer is behind elsewhere", () => {
  const a = partitionKey("t", 0);
  const b = partitionKey("t", 1);

  it("is behind elsewhere only while another partition's last fetch left records", () => {
    const p = new Partitions();
    p.assign([
      { topic: "t", partition: 0 },
      { topic: "t", partition: 1 },
    ]);
    // nothing fetched yet: a consumer keeping up waits at the head
    expect(p.behindElsewhere(a)).toBe(false);
    p.fetched(a, true);
    // its own lag does not count
    expect(p.behindElsewhere(a)).toBe(false);
    expect(p.behindElsewhere(b)).toBe(true);
    p.fetched(b, true);
    expect(p.behindElsewhere(a)).toBe(true);
    p.fetched(b, false);
    expect(p.behindElsewhere(a)).toBe(false);
    expect(p.behindElsewhere(b)).toBe(true);
    p.fetched(a, false);
    expect(p.behindElsewhere(b)).toBe(false);
  });

  it("ignores what a handler of a partition it no longer owns tells", () => {
    const p = new Partitions();
    p.assign([{ topic: "t", partition: 1 }]);
    p.fetched(a, true); // partition 0 was revoked; its handler ended late
    expect(p.behindElsewhere(b)).toBe(false);
  });

  it("forgets what it knew on a new assignment", () => {
    const p = new Partitions();
    p.assign([{ topic: "t", partition: 0 }]);
    p.fetched(a, true);
    expect(p.behindElsewhere(b)).toBe(true);
    p.assign([{ topic: "t", partition: 1 }]);
    expect(p.behindElsewhere(b)).toBe(false);
  });
});
