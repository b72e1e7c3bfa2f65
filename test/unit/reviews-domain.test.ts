import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { MapError, mapEvent } from "../../src/compile/map-event.js";
import { checkExamples, type ShownOp, showOp } from "../../src/examples/check-examples.js";
import { decodeEnvelope, type Envelope, EnvelopeError } from "../../src/run/decode.js";
import { formatIssue } from "../../src/specs/issues.js";
import { loadSpecDir } from "../helpers/specs.js";

/**
 * A domain that is not in the catalog (product reviews: an author object, a photos array exploded
 * into a child table), added as YAML fixtures only: validate, ddl, test and mapping all work for
 * it with no change to src/.
 */
const root = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const dir = "test/fixtures/reviews";
const { spec, issues } = loadSpecDir(relative(process.cwd(), join(root, dir)));

function envelopes(): Envelope[] {
  return readFileSync(join(root, dir, "events.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const e = decodeEnvelope(line);
      if (e instanceof EnvelopeError) throw new Error(`bad envelope in events.jsonl: ${e.reason}`);
      return e;
    });
}

describe("the reviews domain (YAML only)", () => {
  it("validates with no issues", () => {
    expect(issues.map(formatIssue)).toEqual([]);
    expect([...spec.tables.keys()].sort()).toEqual(["review_events", "review_photos", "reviews"]);
    expect([...spec.events.keys()].sort()).toEqual([
      "review.created",
      "review.deleted",
      "review.helpful_voted",
      "review.removed_by_moderator",
      "review.updated",
    ]);
  });

  const plan = compile(spec);

  it("compiles DDL with reviews before review_photos and a cascading foreign key", () => {
    const names = plan.tables.map((t) => t.name);
    expect(names.indexOf("reviews")).toBeGreaterThanOrEqual(0);
    expect(names.indexOf("reviews")).toBeLessThan(names.indexOf("review_photos"));
    const photos = plan.tableByName.get("review_photos")!.ddl;
    expect(photos).toContain("CREATE TABLE IF NOT EXISTS `review_photos`");
    expect(photos).toContain("PRIMARY KEY (`review_id`, `position`)");
    expect(photos).toContain(
      "FOREIGN KEY (`review_id`) REFERENCES `reviews` (`review_id`) ON DELETE CASCADE",
    );
    const reviews = plan.tableByName.get("reviews")!.ddl;
    expect(reviews).toContain("`rating` TINYINT NULL");
    expect(reviews).toContain("`verified_purchase` BOOLEAN NULL");
    expect(reviews).toContain("`helpful_count` INT NULL DEFAULT 0");
    expect(reviews).not.toContain("FOREIGN KEY");
    expect(plan.topics).toEqual(["review"]);
  });

  it("passes every example it carries", () => {
    const results = checkExamples(plan);
    expect(results.map((r) => r.example.name)).toEqual([
      "review.created with two photos",
      "review.updated replaces the photos with the one it carries",
      "an older review.updated after a newer one is stale, its photos too",
      "review.deleted soft-deletes with the event's timestamp",
      "review.removed_by_moderator deletes the review (photos cascade)",
    ]);
    expect(results.filter((r) => r.failures.length > 0).map((r) => [r.example.name, r.failures])).toEqual([]);
  });

  describe("maps every event of events.jsonl", () => {
    const mapped = envelopes().map((e): { envelope: Envelope; ops: ShownOp[] } => {
      const actions = plan.events.get(e.event_type);
      if (!actions) throw new Error(`no projection for ${e.event_type}`);
      const ops = mapEvent(actions, e);
      if (ops instanceof MapError) throw new Error(`${e.event_id} is rejected: ${ops.reason}`);
      return { envelope: e, ops: ops.map(showOp) };
    });
    const at = (i: number) => mapped[i]!;
    const shape = (ops: ShownOp[]) => ops.map((o) => `${o.mode} ${o.table}`);

    it("has eight envelopes, each mapped to its operations in order", () => {
      expect(mapped.map((m) => [m.envelope.event_type, shape(m.ops)])).toEqual([
        ["review.created", ["upsert reviews", "replace review_photos", "append review_events"]],
        ["review.created", ["upsert reviews", "replace review_photos", "append review_events"]],
        ["review.updated", ["upsert reviews", "replace review_photos", "append review_events"]],
        ["review.helpful_voted", ["update reviews", "append review_events"]],
        // a selective payload without photos leaves the photos alone
        ["review.updated", ["upsert reviews", "append review_events"]],
        ["review.deleted", ["soft_delete reviews", "append review_events"]],
        ["review.created", ["upsert reviews", "replace review_photos", "append review_events"]],
        ["review.removed_by_moderator", ["delete reviews", "append review_events"]],
      ]);
    });

    it("flattens the author, coerces rating, boolean and datetimes on review.created", () => {
      const [upsert, replace, append] = at(0).ops;
      expect(upsert!.row).toEqual({
        review_id: "66b2a0000000000000000001",
        product_id: "65a1f0000000000000000201",
        rating: 4,
        title: "Soft and sturdy",
        body: "Washed it five times, still looks new.",
        author_id: "65a1f0000000000000000001",
        author_name: "Jane Smith",
        verified_purchase: 1,
        helpful_count: 0,
        // 11:00+01:00 in the payload, stored as UTC with microseconds
        created_at: "2025-03-01 10:00:00.000000",
        updated_at: "2025-03-01 10:00:00.000000",
        event_id: "7c1e4b52-8f0a-4d3e-9b21-0a5c6d7e8f01",
        event_timestamp: "2025-03-01 10:00:00.000000",
      });
      expect(replace!.where).toEqual({ review_id: "66b2a0000000000000000001" });
      expect(replace!.rows).toEqual([
        {
          review_id: "66b2a0000000000000000001",
          position: 1,
          url: "https://img.example.com/r1/a.jpg",
          caption: "Front",
          width: 1200,
          height: 900,
        },
        {
          review_id: "66b2a0000000000000000001",
          position: 2,
          url: "https://img.example.com/r1/b.jpg",
          caption: null,
          width: 800,
          height: 800,
        },
      ]);
      expect(append!.row).toMatchObject({
        event_id: "7c1e4b52-8f0a-4d3e-9b21-0a5c6d7e8f01",
        review_id: "66b2a0000000000000000001",
        event_type: "review.created",
        event_timestamp: "2025-03-01 10:00:00.000000",
      });
      expect(JSON.parse(String(append!.row!.event_data)).photos).toHaveLength(2);
      expect(append!.row).not.toHaveProperty("reason");
    });

    it("keeps fractional seconds, false as 0, an explicit null body and an empty photo list", () => {
      const [upsert, replace] = at(1).ops;
      expect(upsert!.row).toMatchObject({
        review_id: "66b2a0000000000000000002",
        rating: 2,
        body: null,
        verified_purchase: 0,
        created_at: "2025-03-01 12:30:00.500000",
        event_timestamp: "2025-03-01 12:30:00.500000",
      });
      expect(replace!.rows).toEqual([]);
    });

    it("replaces the photos with the single one of review.updated and converts the offset to UTC", () => {
      const [upsert, replace] = at(2).ops;
      expect(upsert!.row).toMatchObject({
        rating: 5,
        author_name: "Jane S.",
        updated_at: "2025-03-02 09:30:00.250000",
        event_timestamp: "2025-03-02 09:30:00.250000",
      });
      // not in the payload: left as it is, not overwritten with NULL
      expect(upsert!.row).not.toHaveProperty("helpful_count");
      expect(replace!.rows).toEqual([
        {
          review_id: "66b2a0000000000000000001",
          position: 1,
          url: "https://img.example.com/r1/c.jpg",
          caption: "After a month",
          width: 1024,
          height: 768,
        },
      ]);
    });

    it("updates helpful_count by review_id", () => {
      expect(at(3).ops[0]).toEqual({
        mode: "update",
        table: "reviews",
        where: { review_id: "66b2a0000000000000000001" },
        set: {
          helpful_count: 3,
          event_id: "7c1e4b52-8f0a-4d3e-9b21-0a5c6d7e8f04",
          event_timestamp: "2025-03-03 08:00:00.000000",
        },
      });
    });

    it("writes only the paths a selective review.updated carries", () => {
      expect(at(4).ops[0]!.row).toEqual({
        review_id: "66b2a0000000000000000002",
        product_id: "65a1f0000000000000000202",
        title: "Runs small, order a size up",
        updated_at: "2025-03-03 15:45:00.000000",
        event_id: "7c1e4b52-8f0a-4d3e-9b21-0a5c6d7e8f05",
        event_timestamp: "2025-03-03 15:45:00.000000",
      });
    });

    it("soft-deletes with the event's timestamp in UTC", () => {
      expect(at(5).ops[0]).toEqual({
        mode: "soft_delete",
        table: "reviews",
        where: { review_id: "66b2a0000000000000000002" },
        set: {
          deleted_at: "2025-03-04 12:00:00.000000",
          event_id: "7c1e4b52-8f0a-4d3e-9b21-0a5c6d7e8f06",
          event_timestamp: "2025-03-04 12:00:00.000000",
        },
      });
    });

    it("hard-deletes on review.removed_by_moderator and logs the reason", () => {
      const [del, append] = at(7).ops;
      expect(del).toEqual({
        mode: "delete",
        table: "reviews",
        where: { review_id: "66b2a0000000000000000003" },
      });
      expect(append!.row).toMatchObject({
        event_id: "7c1e4b52-8f0a-4d3e-9b21-0a5c6d7e8f08",
        review_id: "66b2a0000000000000000003",
        event_type: "review.removed_by_moderator",
        reason: "spam",
      });
    });

    it("rejects a rating that does not fit tinyint, naming the column and path", () => {
      const e = { ...at(0).envelope, data: { ...at(0).envelope.data, rating: 4.5 } };
      const r = mapEvent(plan.events.get("review.created")!, e);
      expect(r).toBeInstanceOf(MapError);
      expect((r as MapError).reason).toContain("reviews.rating ← $.data.rating");
    });
  });
});

describe("the built CLI on the reviews domain", () => {
  const built = existsSync(join(root, "dist/src/cli/main.js"));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, "bin/projector.js"), ...args, "--projections", dir], {
      cwd: root,
      encoding: "utf8",
    });

  it.skipIf(!built)("validate exits 0", () => {
    const r = run("validate");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("3 tables, 5 event types");
  });

  it.skipIf(!built)("ddl exits 0 and creates review_photos after reviews", () => {
    const r = run("ddl");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("CREATE TABLE IF NOT EXISTS `review_photos`");
    expect(r.stdout.indexOf("CREATE TABLE IF NOT EXISTS `reviews`")).toBeLessThan(
      r.stdout.indexOf("CREATE TABLE IF NOT EXISTS `review_photos`"),
    );
    expect(r.stdout).toContain("ON DELETE CASCADE");
  });

  it.skipIf(!built)("test exits 0 with every example passing", () => {
    const r = run("test");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("5 passed, 0 failed");
  });
});
