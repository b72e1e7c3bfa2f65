import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { MapError, mapEvent } from "../../src/compile/map-event.js";
import type { SourceRecord } from "../../src/core/source-record.js";
import { letterFilter, sinceOption } from "../../src/jobs/dead-letters.js";
import { deadLetterStatements, letterFor } from "../../src/run/dead-letters.js";
import { decideBatch, type MappedEvent } from "../../src/run/decide.js";
import { decodeEnvelope, EnvelopeError } from "../../src/run/decode.js";
import { RowState } from "../../src/run/row-state.js";
import {
  countLettersStatement,
  insertDeadLettersStatement,
  selectLettersToRetryStatement,
} from "../../src/store/dead-letters.js";
import { loadSpecTexts } from "../helpers/specs.js";

describe("dead-letter filters", () => {
  it("--since takes an ISO time or a duration back from now, as a UTC DATETIME(6)", () => {
    const now = Date.parse("2026-03-04T05:06:07.890Z");
    expect(sinceOption("2025-01-15T10:00:00Z")).toBe("2025-01-15 10:00:00.000000");
    expect(sinceOption("2025-01-15T12:00:00+02:00")).toBe("2025-01-15 10:00:00.000000");
    expect(sinceOption("90s", now)).toBe("2026-03-04 05:04:37.890000");
    expect(sinceOption("15m", now)).toBe("2026-03-04 04:51:07.890000");
    expect(sinceOption("2h", now)).toBe("2026-03-04 03:06:07.890000");
    expect(sinceOption("7d", now)).toBe("2026-02-25 05:06:07.890000");
    expect(() => sinceOption("last tuesday")).toThrow(/--since must be a time like/);
  });

  it("checks --kind and ids", () => {
    expect(letterFilter({ kind: "unmatched" })).toEqual({ kind: "unmatched" });
    expect(() => letterFilter({ kind: "bad" })).toThrow("--kind must be failed or unmatched");
    expect(() => letterFilter({}, ["1 OR 1=1"])).toThrow("a letter id is a positive integer");
  });

  it("binds every value; a reason's % and _ match themselves", () => {
    const s = countLettersStatement({
      reason: "100%_done!",
      eventType: "x'; DROP TABLE t; --",
      since: "2025-01-01",
    });
    expect(s.sql).toContain("reason LIKE ? ESCAPE '!'");
    expect(s.sql).not.toContain("DROP");
    expect(s.params).toEqual(["x'; DROP TABLE t; --", "%100!%!_done!!%", "2025-01-01"]);
  });

  it("retries in the order the records came, going on after a cursor", () => {
    const s = selectLettersToRetryStatement(
      { kind: "failed", maxId: "99" },
      { source: "user", partition: 2, seq: "41", id: "7" },
      50,
    );
    expect(s.sql).toMatch(
      /WHERE kind = \? AND id <= \? AND retriable = 1 AND \(source, partition_id, seq, id\) > \(\?, \?, \?, \?\) ORDER BY source, partition_id, seq, id LIMIT 50$/,
    );
    expect(s.params).toEqual(["failed", "99", "user", 2, "41", "7"]);
  });
});

describe("a dead letter", () => {
  const kafka: SourceRecord = {
    value: Buffer.from("{}"),
    source: "user",
    position: "partition 2 offset 41",
    kafka: { topic: "user", partition: 2, offset: "41", key: Buffer.from("k") },
  };
  const line: SourceRecord = { value: Buffer.from("{}"), source: "a.jsonl", position: "line 7", line: 7 };

  it("keeps where its record came, for the retry's order", () => {
    expect(letterFor(kafka, "bad")).toMatchObject({
      partition: 2,
      seq: "41",
      kind: "failed",
      retriable: true,
    });
    expect(letterFor(line, "bad")).toMatchObject({
      partition: -1,
      seq: 7,
      position: expect.stringMatching(/^line 7 #/),
    });
  });

  it("of a retried record keeps its letter's position, key and order", () => {
    const again: SourceRecord = {
      value: Buffer.from("{}"),
      source: "user",
      position: "partition 2 offset 41",
      letter: {
        id: "5",
        position: "partition 2 offset 41",
        recordKey: Buffer.from("k"),
        partition: 2,
        seq: "41",
      },
    };
    expect(letterFor(again, "still bad", undefined, undefined, "unmatched")).toMatchObject({
      position: "partition 2 offset 41",
      recordKey: Buffer.from("k"),
      partition: 2,
      seq: "41",
      kind: "unmatched",
    });
    const fileAgain: SourceRecord = {
      ...line,
      letter: { id: "6", position: "line 7 #abc", recordKey: null, partition: -1, seq: "7" },
    };
    expect(letterFor(fileAgain, "x").position).toBe("line 7 #abc");
  });

  it("is not retriable when its payload is not the whole record, or holds no event", () => {
    expect(letterFor({ ...line, oversize: { bytes: 9e6, limit: 4e6 } }, "big").retriable).toBe(false);
    expect(letterFor({ ...kafka, kafka: { ...kafka.kafka!, tombstone: true } }, "tomb").retriable).toBe(
      false,
    );
    const huge = letterFor({ ...line, value: Buffer.alloc(5000, 0xff) }, "binary");
    const [cut] = deadLetterStatements([huge], 4000, 4000, "mariadb");
    // kind, retriable, partition_id, seq follow reason, payload, record_key.
    const params = cut!.params;
    expect(params[8]).toBe(false);
    expect(String(params[4])).toContain("kept truncated");
  });

  it("at a position that has one counts one more attempt, keeping its first failure", () => {
    const s = insertDeadLettersStatement([letterFor(kafka, "bad")], "mariadb");
    expect(s.sql).toMatch(
      /ON DUPLICATE KEY UPDATE attempts = attempts \+ 1, first_failed_at = COALESCE\(first_failed_at, failed_at\),.* failed_at = VALUES\(failed_at\)$/,
    );
  });
});

describe("unmatched updates are kept", () => {
  const { spec, issues } = loadSpecTexts([
    {
      file: "things.yaml",
      text: [
        "tables:",
        "  things:",
        "    primary_key: [id]",
        "    guard: ts",
        "    stamp: { ts: $.timestamp }",
        "    columns:",
        "      id: { type: varchar(10) }",
        "      flag: { type: boolean, nullable: true }",
        "      ts: { type: datetime(6) }",
        "  parts:",
        "    parent: { table: things, columns: [id] }",
        "    primary_key: [id, n]",
        "    columns:",
        "      id: { type: varchar(10) }",
        "      n: { type: int }",
        "events:",
        "  thing.saved:",
        "    - upsert: things",
        "      columns: { id: $.entity_id }",
        "  thing.flagged:",
        "    - { update: things, where: { id: $.entity_id }, set: { flag: true } }",
        "  thing.parts:",
        "    - { replace: parts, where: { id: $.entity_id }, for_each: $.data.parts, columns: { n: '@position' } }",
        "  thing.deleted:",
        "    - { delete: things, where: { id: $.entity_id } }",
      ].join("\n"),
    },
  ]);
  if (!spec || issues.length > 0) throw new Error(JSON.stringify(issues));
  const plan = compile(spec);
  let n = 0;
  const event = (type: string, id: string, ts: string, data: object = {}): MappedEvent => {
    const e = decodeEnvelope(
      JSON.stringify({ event_type: type, event_id: `e${++n}`, timestamp: ts, entity_id: id, data }),
    );
    if (e instanceof EnvelopeError) throw new Error(e.reason);
    const ops = mapEvent(plan.events.get(type)!, e);
    if (ops instanceof MapError) throw new Error(ops.reason);
    return { index: n, eventType: type, ops };
  };

  it("an update or a child replace that finds no row is kept, saying which row it waits for", () => {
    const d = decideBatch(
      [
        event("thing.flagged", "a", "2025-01-02T00:00:00Z"),
        event("thing.parts", "b", "2025-01-02T00:00:00Z", { parts: [1] }),
      ],
      plan,
      new RowState(),
    );
    expect(d.results.map((r) => r.keep)).toEqual([
      ['update things: no row id = "a"'],
      ['replace parts: no things row id = "b"'],
    ]);
  });

  it("a delete that finds no row is not (its tombstone says enough), nor an update older than a delete", () => {
    const d = decideBatch(
      [
        event("thing.saved", "a", "2025-01-01T00:00:00Z"),
        event("thing.deleted", "a", "2025-01-03T00:00:00Z"),
        event("thing.flagged", "a", "2025-01-02T00:00:00Z"),
        event("thing.deleted", "z", "2025-01-03T00:00:00Z"),
      ],
      plan,
      new RowState(),
    );
    expect(d.results.map((r) => r.keep)).toEqual([undefined, undefined, undefined, undefined]);
    // The update older than the row's deletion is stale, not waiting for a row.
    expect(d.results[2]).toMatchObject({ stale: ["things"], unmatched: [] });
  });

  it("an update newer than the row's deletion is kept: an older create may still bring the row back", () => {
    const d = decideBatch(
      [
        event("thing.saved", "a", "2025-01-01T00:00:00Z"),
        event("thing.deleted", "a", "2025-01-03T00:00:00Z"),
        event("thing.flagged", "a", "2025-01-04T00:00:00Z"),
      ],
      plan,
      new RowState(),
    );
    expect(d.results[2]).toMatchObject({
      stale: [],
      unmatched: ["things"],
      keep: ['update things: no row id = "a"'],
    });
  });
});
