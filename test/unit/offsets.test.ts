import { describe, expect, it } from "vitest";
import type { SourceRecord } from "../../src/core/source-record.js";
import { nextOffsets, unappliedFilter } from "../../src/run/offsets.js";

const rec = (topic: string, partition: number, offset: string, next?: string): SourceRecord => ({
  value: "{}",
  position: `partition ${partition} offset ${offset}`,
  source: topic,
  kafka: { topic, partition, offset, key: null, ...(next !== undefined ? { next } : {}) },
});

describe("nextOffsets", () => {
  it("saves one past the highest offset per partition, whatever the order", () => {
    const rows = nextOffsets(
      [
        rec("user", 0, "7"),
        rec("user", 1, "3"),
        rec("user", 0, "9"),
        rec("user", 0, "8"),
        rec("order", 0, "1"),
      ],
      "g",
    );
    expect(rows).toEqual([
      { group: "g", topic: "user", partition: 0, next: "10" },
      { group: "g", topic: "user", partition: 1, next: "4" },
      { group: "g", topic: "order", partition: 0, next: "2" },
    ]);
  });

  it("takes a record's own next offset (past a transaction marker) and offsets beyond 2^53", () => {
    const rows = nextOffsets([rec("user", 0, "9007199254740993"), rec("user", 0, "5", "12")], "g");
    expect(rows).toEqual([{ group: "g", topic: "user", partition: 0, next: "9007199254740994" }]);
    expect(nextOffsets([rec("user", 0, "5", "12"), rec("user", 0, "6")], "g")[0]!.next).toBe("12");
  });

  it("leaves out records read from a file", () => {
    expect(nextOffsets([{ value: "{}", position: "line 1", source: "f.jsonl" }], "g")).toEqual([]);
  });
});

describe("unappliedFilter", () => {
  it("drops records below the stored offset and second copies in a batch", () => {
    const keep = unappliedFilter(new Map([["user\u00000", 5n]]));
    expect(["4", "5", "6", "5", "6", "7"].map((o) => keep(rec("user", 0, o)))).toEqual([
      false,
      true,
      true,
      false,
      false,
      true,
    ]);
  });
});
