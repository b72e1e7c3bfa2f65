import type { CompiledSpec } from "../compile/compile.js";
import type { MappedOp } from "../compile/map-event.js";
import type { SourceRecord } from "../core/source-record.js";
import { Reference } from "../reference/interpreter.js";
import type { ColumnType, ExampleSpec, ExpectedOp, Scalar } from "../specs/types.js";
import { CoerceFailure, coercerFor } from "../values/coerce.js";
import { ABSENT } from "../values/json-path.js";

export interface ExampleResult {
  readonly example: ExampleSpec;
  readonly failures: readonly string[];
}

/** An operation as `projector test` shows and compares it: plain column → value maps. */
export interface ShownOp {
  readonly mode: string;
  readonly table: string;
  readonly row?: Record<string, unknown>;
  readonly rows?: Record<string, unknown>[];
  readonly where?: Record<string, unknown>;
  readonly set?: Record<string, unknown>;
}

function present(names: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  names.forEach((n, i) => {
    if (values[i] !== ABSENT) out[n] = values[i];
  });
  return out;
}

export function showOp(op: MappedOp): ShownOp {
  const a = op.action;
  const cols = a.columns.map((c) => c.name);
  const where = present(
    a.where.map((w) => w.name),
    op.where,
  );
  switch (a.mode) {
    case "upsert":
    case "append":
      return { mode: a.mode, table: a.table.name, row: present(cols, op.values) };
    case "replace":
      return {
        mode: a.mode,
        table: a.table.name,
        where,
        rows: (op.rows ?? []).map((r) => ({ ...where, ...present(cols, r) })),
      };
    case "delete":
      return { mode: a.mode, table: a.table.name, where };
    default:
      return { mode: a.mode, table: a.table.name, where, set: present(cols, op.values) };
  }
}

/** Whether a written value is the expected one, compared as the column stores both (coerced). */
function same(actual: unknown, expected: Scalar, type: ColumnType | undefined): boolean {
  if (expected === null) return actual === null;
  if (type && type.name !== "json") {
    const stored = coercerFor(type)(expected);
    if (!(stored instanceof CoerceFailure) && actual === stored) return true;
  }
  if (typeof expected === "boolean") return actual === (expected ? 1 : 0) || actual === expected;
  if (actual === expected) return true;
  // A decimal column's exact text ("12.50") against a YAML number (12.5); not "007" against 7.
  if (typeof expected === "number" && typeof actual === "string")
    return /^-?(0|[1-9]\d*)(\.\d+)?$/.test(actual) && Number(actual) === expected;
  return false;
}

function compareMap(
  label: string,
  actual: Record<string, unknown> | undefined,
  expected: Readonly<Record<string, Scalar>> | undefined,
  out: string[],
  types: (column: string) => ColumnType | undefined,
) {
  if (!expected) return;
  for (const [col, want] of Object.entries(expected)) {
    if (!actual || !(col in actual))
      out.push(`${label}: column ${col} was not written (expected ${JSON.stringify(want)})`);
    else if (!same(actual[col], want, types(col)))
      out.push(`${label}: column ${col} is ${JSON.stringify(actual[col])}, expected ${JSON.stringify(want)}`);
  }
}

function compareOp(
  compiled: CompiledSpec,
  i: number,
  actual: ShownOp | undefined,
  expected: ExpectedOp,
  out: string[],
) {
  const label = `operation ${i + 1} (${expected.mode} ${expected.table})`;
  if (!actual) {
    out.push(`${label}: missing`);
    return;
  }
  if (actual.mode !== expected.mode || actual.table !== expected.table) {
    out.push(`${label}: got ${actual.mode} ${actual.table}`);
    return;
  }
  const columns = compiled.tableByName.get(actual.table)?.spec.columns;
  const types = (c: string) => columns?.get(c)?.type;
  compareMap(label, actual.row, expected.row, out, types);
  compareMap(label, actual.where, expected.where, out, types);
  compareMap(label, actual.set, expected.set, out, types);
  if (expected.rows) {
    const rows = actual.rows ?? [];
    if (rows.length !== expected.rows.length)
      out.push(`${label}: ${rows.length} rows, expected ${expected.rows.length}`);
    expected.rows.forEach((r, j) => compareMap(`${label} row ${j + 1}`, rows[j], r, out, types));
  }
  for (const col of expected.absent ?? []) {
    const written = { ...actual.row, ...actual.set };
    if (col in written)
      out.push(`${label}: column ${col} must not be written, but is ${JSON.stringify(written[col])}`);
    (actual.rows ?? []).forEach((r, j) => {
      if (col in r)
        out.push(
          `${label} row ${j + 1}: column ${col} must not be written, but is ${JSON.stringify(r[col])}`,
        );
    });
  }
}

/** An example's event as a record (the runtime's input). */
function exampleRecord(event: unknown, position: string): SourceRecord {
  return { value: JSON.stringify(event), position, source: "example" };
}

/**
 * Runs one example with no database, on the reference interpreter: the earlier events build the
 * tables in memory, then the event is applied, and what it wrote is compared with what is expected.
 */
export function checkExample(
  compiled: CompiledSpec,
  example: ExampleSpec,
): { failures: string[]; ops: ShownOp[]; stale: string[] } {
  const failures: string[] = [];
  const ref = new Reference(compiled);
  const rejection = (o: ReturnType<Reference["apply"]>, event: unknown): string | undefined =>
    o.kind === "failed"
      ? o.reason
      : o.kind === "skipped"
        ? `no projection for event type ${String((event as { event_type?: unknown } | null)?.event_type)}`
        : undefined;
  for (const [i, given] of example.given.entries()) {
    const reason = rejection(ref.apply(exampleRecord(given, `given ${i + 1}`)), given);
    if (reason !== undefined) failures.push(`given event ${i + 1} is rejected: ${reason}`);
  }
  const outcome = ref.apply(exampleRecord(example.event, "event"));
  if (outcome.kind === "filtered") {
    if (!example.filtered) failures.push("event is filtered: its event type's when does not match it");
    return { failures, ops: [], stale: [] };
  }
  if (example.filtered) failures.push("event is projected, expected its event type's when to filter it");
  const rejected = rejection(outcome, example.event);
  if (rejected !== undefined) {
    if (example.error === undefined) failures.push(`event is rejected: ${rejected}`);
    else if (!rejected.includes(example.error))
      failures.push(`event is rejected with "${rejected}", expected a reason containing "${example.error}"`);
    return { failures, ops: [], stale: [] };
  }
  if (example.error !== undefined)
    failures.push(`event is accepted, expected it to be rejected with "${example.error}"`);
  // The event's own writes, then those of the waiting letters it healed (their rows came with it).
  const shown = [...outcome.ops, ...(outcome.healed ?? [])].map(showOp);
  const stale = [...outcome.stale];
  if (example.expect) {
    example.expect.forEach((e, i) => compareOp(compiled, i, shown[i], e, failures));
    for (let i = example.expect.length; i < shown.length; i++) {
      failures.push(`operation ${i + 1}: unexpected ${shown[i]!.mode} ${shown[i]!.table}`);
    }
  }
  const want = [...example.stale].sort().join(", ");
  const got = [...new Set(stale)].sort().join(", ");
  if (want !== got) failures.push(`stale on [${got}], expected [${want}]`);
  return { failures, ops: shown, stale };
}

/** Checks every example carried by the specs. */
export function checkExamples(compiled: CompiledSpec): ExampleResult[] {
  return compiled.spec.examples.map((example) => ({
    example,
    failures: checkExample(compiled, example).failures,
  }));
}
