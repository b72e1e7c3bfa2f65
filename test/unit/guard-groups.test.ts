import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeAction } from "../../src/compile/statements.js";
import { Reference } from "../../src/reference/interpreter.js";
import { decideBatch } from "../../src/run/decide.js";
import { mappedEvents, prepareRecord } from "../../src/run/prepare.js";
import { RowState } from "../../src/run/row-state.js";
import { formatIssue } from "../../src/specs/issues.js";
import { recordMaker } from "../helpers/records.js";
import { compileSpecText, loadSpecTexts } from "../helpers/specs.js";

/** `guards:` (guard groups): the reference's semantics, the planner's, the SQL, what validate says. */
const yaml = readFileSync("docs/cookbook/disputes/payments.yaml", "utf8");

const compiled = (text = yaml) => compileSpecText(text, "g.yaml");

const record = recordMaker("g");
const ev = (type: string, entity: string, day: number, data: Record<string, unknown> = {}) =>
  record({ type, entity, timestamp: `2025-06-0${day}T10:00:00Z`, data });

describe("guard groups in the reference interpreter", () => {
  it("each group is guarded by its own time: older in one, still written in another", () => {
    const ref = new Reference(compiled());
    ref.apply(ev("payment.captured", "P", 1, { amount: "40.00" }));
    ref.apply(ev("dispute.opened", "D", 3, { payment_id: "P", reason: "fraud" }));
    const refund = ref.apply(ev("refund.issued", "R", 2, { payment_id: "P", amount: "15.00" }));
    expect(refund.stale).toEqual([]);
    ref.apply(ev("payment.settled", "P", 4));
    ref.apply(ev("dispute.resolved", "D", 5, { payment_id: "P", outcome: "won" }));
    expect(ref.apply(ev("dispute.opened", "D", 3, { payment_id: "P", reason: "again" })).stale).toEqual([
      "payments",
    ]);
    expect(ref.apply(ev("payment.captured", "P", 1, { amount: "99.00" })).stale).toEqual(["payments"]);
    expect(ref.row("payments", ["P"])).toMatchObject({
      status: "settled",
      amount: "40.00",
      dispute_status: "won",
      dispute_reason: "fraud",
      dispute_at: "2025-06-05 10:00:00.000000",
      refunded_amount: "15.00",
      refund_at: "2025-06-02 10:00:00.000000",
      event_timestamp: "2025-06-04 10:00:00.000000",
    });
  });

  it("an upsert older than the row but newer in a group writes that group alone", () => {
    const text = yaml.replace(
      "        amount: $.data.amount\n        event_timestamp: $.timestamp",
      "        amount: $.data.amount\n        event_timestamp: $.timestamp\n        refunded_amount: $.data.refunded\n        refund_at: $.data.refund_at",
    );
    const ref = new Reference(compiled(text));
    ref.apply(
      ev("payment.captured", "Q", 5, { amount: "1.00", refunded: "0.50", refund_at: "2025-06-01T00:00:00Z" }),
    );
    const out = ref.apply(
      ev("payment.captured", "Q", 2, { amount: "2.00", refunded: "0.75", refund_at: "2025-06-09T00:00:00Z" }),
    );
    expect(out.kind).toBe("applied");
    expect(ref.row("payments", ["Q"])).toMatchObject({
      amount: "1.00",
      refunded_amount: "0.75",
      event_timestamp: "2025-06-05 10:00:00.000000",
    });
  });
});

describe("guard groups in the planner", () => {
  it("an update keeps the groups newer than the row and leaves out the others", () => {
    const c = compiled();
    const state = new RowState();
    const t = c.tableByName.get("payments")!;
    state.write(
      t.spec,
      "P",
      "2025-06-04 10:00:00.000000",
      undefined,
      new Map([["dispute_at", "2025-06-05 10:00:00.000000"]]),
    );
    const live = [
      ev("dispute.opened", "D", 3, { payment_id: "P", reason: "again" }),
      ev("refund.issued", "R", 2, { payment_id: "P", amount: "15.00" }),
    ].map((r) => prepareRecord(c, r, false));
    const d = decideBatch(mappedEvents(live), c, state);
    expect(d.results.map((r) => r.stale)).toEqual([["payments"], []]);
    expect(d.ops.map((o) => o.op.action.eventType)).toEqual(["refund.issued"]);
  });
});

describe("guard groups: the SQL", () => {
  it("an upsert writes each group's columns under its guard, the guards last", () => {
    const text = yaml.replace(
      "        amount: $.data.amount\n        event_timestamp: $.timestamp",
      "        amount: $.data.amount\n        event_timestamp: $.timestamp\n        refunded_amount: $.data.refunded\n        refund_at: $.data.refund_at",
    );
    const sql = describeAction(compiled(text).events.get("payment.captured")![0]!, "mariadb")[0]!;
    expect(sql).toContain(
      "`refunded_amount` = IF(`refund_at` IS NULL OR VALUES(`refund_at`) >= `refund_at`, VALUES(`refunded_amount`), `refunded_amount`), " +
        "`refund_at` = IF(`refund_at` IS NULL OR VALUES(`refund_at`) >= `refund_at`, VALUES(`refund_at`), `refund_at`), " +
        "`event_timestamp` = IF(",
    );
  });
});

describe("guard groups: validate", () => {
  const issues = (text: string) =>
    loadSpecTexts([{ file: "g.yaml", text }])
      .issues.map(formatIssue)
      .join("\n");
  it("says what a group may hold and what an action writing it must write", () => {
    expect(
      issues(yaml.replace("refund_at: [refunded_amount]", "refund_at: [refunded_amount, dispute_reason]")),
    ).toMatch(/payments\.dispute_reason is covered by dispute_at and covered by refund_at/);
    expect(issues(yaml.replace("refund_at: [refunded_amount]", "refund_at: [payment_id]"))).toMatch(
      /payments\.payment_id cannot be in a guard group: it is a key/,
    );
    expect(
      issues(
        yaml.replace(
          "set: { refunded_amount: $.data.amount, refund_at: $.timestamp }",
          "set: { refunded_amount: $.data.amount }",
        ),
      ),
    ).toMatch(
      /payments\.refunded_amount is guarded by refund_at, but this update does not write it \(add refund_at to this action's columns/,
    );
    expect(
      issues(
        yaml.replace("set: { status: settled, event_timestamp: $.timestamp }", "set: { status: settled }"),
      ),
    ).toMatch(/payments is guarded by event_timestamp, but this update does not write it/);
  });
});
