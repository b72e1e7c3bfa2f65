import { describe, expect, it } from "vitest";
import { describeAction } from "../../src/compile/statements.js";
import { Reference } from "../../src/reference/interpreter.js";
import { decideBatch } from "../../src/run/decide.js";
import { buildStatements } from "../../src/run/group-statements.js";
import { mappedEvents, prepareRecord } from "../../src/run/prepare.js";
import { RowState } from "../../src/run/row-state.js";
import { formatIssue } from "../../src/specs/issues.js";
import { recordMaker } from "../helpers/records.js";
import { compileSpecText, loadSpecTexts } from "../helpers/specs.js";

/** `combine:` (counters and marks): the reference's semantics, what validate says, the SQL. */
const yaml = `tables:
  accounts:
    primary_key: [account_id]
    guard: ts
    stamp: { ts: $.timestamp }
    columns:
      account_id: { type: varchar(8) }
      points: { type: int, default: 0 }
      spent: { type: "decimal(10,2)", nullable: true }
      best: { type: "decimal(10,2)", nullable: true }
      first_seen: { type: datetime(6), nullable: true }
      small: { type: tinyint, default: 0 }
      ts: { type: datetime(6) }
events:
  account.opened:
    - upsert: accounts
      columns:
        account_id: $.entity_id
        points: { path: $.data.points, combine: add }
        first_seen: { path: $.timestamp, combine: min }
  points.earned:
    - update: accounts
      where: { account_id: $.entity_id }
      stamp: false
      set:
        points: { path: $.data.points, combine: add }
        best: { path: $.data.amount, combine: max }
        small: { path: $.data.small, combine: add }
  points.spent:
    - update: accounts
      where: { account_id: $.entity_id }
      set:
        points: { path: $.data.points, combine: subtract }
        spent: { path: $.data.amount, combine: add }
`;

const compiled = (text = yaml) => compileSpecText(text, "c.yaml");

const record = recordMaker("e");
/** A record; `id` repeats an event (a redelivery at another position). */
const ev = (type: string, entity: string, ts: string, data: Record<string, unknown>, id?: number) =>
  record({ type, entity, timestamp: `2025-01-01T00:00:${ts}Z`, data, ...(id === undefined ? {} : { id }) });

const row = (ref: Reference, key: string) => ref.row("accounts", [key]);

describe("combine: counters and marks in the reference interpreter", () => {
  it("adds, subtracts and keeps marks; a NULL or absent value changes nothing", () => {
    const ref = new Reference(compiled());
    ref.apply(ev("account.opened", "A", "05", { points: 10 }));
    expect(row(ref, "A")).toMatchObject({ points: 10, first_seen: "2025-01-01 00:00:05.000000" });
    ref.apply(ev("points.earned", "A", "06", { points: 5, amount: "9.50" }));
    ref.apply(ev("points.earned", "A", "07", { points: null, amount: "10" }));
    ref.apply(ev("points.earned", "A", "08", { amount: "3.25" }));
    ref.apply(ev("points.spent", "A", "09", { points: 4, amount: "1.10" }));
    ref.apply(ev("points.spent", "A", "10", { points: 1, amount: "2.20" }));
    // An older open: the row is newer (stale, nothing counted); first_seen is the min of the two.
    ref.apply(ev("account.opened", "A", "01", { points: 100 }));
    expect(row(ref, "A")).toMatchObject({
      points: 10,
      best: "10.00",
      spent: "3.30",
      first_seen: "2025-01-01 00:00:05.000000",
    });
  });

  it("counts an event once: a redelivery (same event_id, another position) is left out whole", () => {
    const ref = new Reference(compiled());
    ref.apply(ev("account.opened", "B", "01", { points: 1 }, 900));
    ref.apply(ev("points.earned", "B", "02", { points: 7 }, 901));
    ref.apply(ev("points.earned", "B", "02", { points: 7 }, 901));
    ref.apply(ev("account.opened", "B", "01", { points: 1 }, 900));
    expect(row(ref, "B")).toMatchObject({ points: 8 });
    // Another event with the same values counts.
    ref.apply(ev("points.earned", "B", "02", { points: 7 }, 902));
    expect(row(ref, "B")).toMatchObject({ points: 15 });
  });

  it("an update before its row waits (unmatched), counts once when the row arrives (healed); out of range rejects", () => {
    const ref = new Reference(compiled());
    expect(ref.apply(ev("points.earned", "C", "02", { points: 3 }, 500)).kind).toBe("unmatched");
    expect(ref.letters()).toHaveLength(1);
    ref.apply(ev("account.opened", "C", "01", { points: 1 }));
    expect(row(ref, "C")).toMatchObject({ points: 4 });
    expect(ref.letters()).toEqual([]);
    expect(ref.summary().healed).toBe(1);
    // The same event again (a redelivery at another position) is counted already.
    ref.apply(ev("points.earned", "C", "02", { points: 3 }, 500));
    expect(row(ref, "C")).toMatchObject({ points: 4 });
    ref.apply(ev("points.earned", "C", "03", { points: -3 }));
    expect(row(ref, "C")).toMatchObject({ points: 1 });
    ref.apply(ev("points.earned", "C", "03", { small: 100 }));
    const out = ref.apply(ev("points.earned", "C", "04", { points: 1, small: 100 }));
    expect(out.kind).toBe("failed");
    expect(out.reason).toMatch(/accounts\.small: 100 \+ 100 is out of range for tinyint/);
    expect(row(ref, "C")).toMatchObject({ points: 1, small: 100 });
  });

  it("the planner counts as the reference does, within a batch: a redelivery in the same batch is left out", () => {
    const c = compiled();
    const records = [
      ev("account.opened", "D", "01", { points: 2 }, 700),
      ev("points.earned", "D", "02", { points: 3 }, 701),
      ev("points.earned", "D", "02", { points: 3 }, 701),
    ];
    const live = records.map((r) => prepareRecord(c, r, false));
    const decision = decideBatch(mappedEvents(live), c, new RowState());
    expect(decision.ops.map((o) => o.op.action.eventType)).toEqual(["account.opened", "points.earned"]);
    const sql = buildStatements(decision.ops, c).map((s) => s.sql);
    expect(sql.at(-1)).toBe("INSERT INTO `accounts__counted` (`op_hash`) VALUES (?),(?)");
  });
});

describe("combine: the SQL", () => {
  const c = compiled();
  const action = (type: string) => c.events.get(type)![0]!;
  it("an upsert adds to the row's value under the guard; a mark keeps the least", () => {
    expect(describeAction(action("account.opened"), "mariadb")[0]).toContain(
      "`points` = IF(`ts` IS NULL OR VALUES(`ts`) >= `ts`, COALESCE(`points`, 0) + VALUES(`points`), `points`)",
    );
    expect(describeAction(action("account.opened"), "mysql")[0]).toContain(
      "LEAST(COALESCE(`accounts`.`first_seen`, `projector_new`.`first_seen`), `projector_new`.`first_seen`)",
    );
  });
  it("an update adds the value as the column's type (a decimal bound as text is cast)", () => {
    const sql = describeAction(action("points.spent"), "mariadb")[0]!;
    expect(sql).toContain("t.`points` = COALESCE(t.`points`, 0) + u.`v0`");
    expect(sql).toContain("t.`spent` = COALESCE(t.`spent`, 0) + CAST(u.`v1` AS DECIMAL(10,2))");
  });
  it("subtract negates the value when the event is mapped", () => {
    const p = prepareRecord(c, ev("points.spent", "E", "01", { points: 4, amount: "1.10" }), false);
    if (p.kind !== "event") throw new Error(p.kind);
    expect(p.ops[0]!.values.slice(0, 2)).toEqual([-4, "1.10"]);
    expect(p.ops[0]!.countId).toBe(`points.spent\u0000e-${record.count}\u00000`);
  });
  it("a table that counts has a __counted table among the engine's", () => {
    expect(c.tableByName.get("accounts")!.counted).toBe("`accounts__counted`");
    expect(c.engineTables.map((t) => t.name)).toContain("accounts__counted");
  });
});

describe("combine: validate", () => {
  const issues = (text: string) => loadSpecTexts([{ file: "c.yaml", text }]).issues.map(formatIssue);
  const base = (column: string, value: string, mode = "update") =>
    `tables:
  t:
    primary_key: [id]
    guard: ts
    stamp: { ts: $.timestamp }
    columns:
      id: { type: varchar(8) }
      name: { type: varchar(8), nullable: true }
      n: { type: int, default: 0 }
      bonus: { type: int, default: 5 }
      ts: { type: datetime(6) }
events:
  t.x:
    - ${mode}: t
${mode === "update" ? "      where: { id: $.entity_id }\n      set:" : "      columns:\n        id: $.entity_id"}
        ${column}: ${value}
`;
  it("refuses what cannot combine, saying where and what to do", () => {
    expect(issues(base("n", "{ path: $.data.n, combine: sum }"))).toEqual([
      expect.stringMatching(/^c\.yaml:17:\d+: .*combine must be one of add, subtract, max, min/),
    ]);
    expect(issues(base("name", "{ path: $.data.n, combine: add }")).join()).toMatch(
      /combine: add needs a number column; t\.name is varchar\(8\)/,
    );
    expect(issues(base("ts", "{ path: $.timestamp, combine: max }")).join()).toMatch(
      /combine cannot write t\.ts: it is the guard column/,
    );
    expect(issues(base("bonus", "{ path: $.data.n, combine: add }")).join()).toMatch(
      /t\.bonus counts from 0 \(combine: add\), so its default 5 would never be used/,
    );
    expect(issues(base("n", "{ path: $.data.n, combine: add, keep_existing: true }")).join()).toMatch(
      /combine and keep_existing do not go together/,
    );
    expect(issues(base("n", "{ path: $.data.n, combine: add }", "append")).join()).toMatch(
      /combine does not apply to append/,
    );
    expect(issues(base("n", "{ const: 1, combine: add }"))).toEqual([]);
    expect(issues(base("n", "{ path: $.data.n, combine: add }", "upsert"))).toEqual([]);
  });
});
