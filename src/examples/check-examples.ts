import type { CompiledSpec } from "../compile/compile.js";
import { ABSENT } from "../compile/json-path.js";
import { filteredOut, MapError, type MappedOp, mapEvent } from "../compile/map-event.js";
import { decideBatch, selectingUniques } from "../run/decide.js";
import { decodeEnvelope, EnvelopeError } from "../run/decode.js";
import { RowState } from "../run/row-state.js";
import type { ExampleSpec, ExpectedOp, Scalar } from "../specs/types.js";

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

function same(actual: unknown, expected: Scalar): boolean {
  if (expected === null) return actual === null;
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
) {
  if (!expected) return;
  for (const [col, want] of Object.entries(expected)) {
    if (!actual || !(col in actual))
      out.push(`${label}: column ${col} was not written (expected ${JSON.stringify(want)})`);
    else if (!same(actual[col], want))
      out.push(`${label}: column ${col} is ${JSON.stringify(actual[col])}, expected ${JSON.stringify(want)}`);
  }
}

function compareOp(i: number, actual: ShownOp | undefined, expected: ExpectedOp, out: string[]) {
  const label = `operation ${i + 1} (${expected.mode} ${expected.table})`;
  if (!actual) {
    out.push(`${label}: missing`);
    return;
  }
  if (actual.mode !== expected.mode || actual.table !== expected.table) {
    out.push(`${label}: got ${actual.mode} ${actual.table}`);
    return;
  }
  compareMap(label, actual.row, expected.row, out);
  compareMap(label, actual.where, expected.where, out);
  compareMap(label, actual.set, expected.set, out);
  if (expected.rows) {
    const rows = actual.rows ?? [];
    if (rows.length !== expected.rows.length)
      out.push(`${label}: ${rows.length} rows, expected ${expected.rows.length}`);
    expected.rows.forEach((r, j) => compareMap(`${label} row ${j + 1}`, rows[j], r, out));
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

const FILTERED = Symbol("filtered");

/** Maps an example event like the runtime would: the mapped ops, FILTERED, or the reason it is rejected. */
function mapOne(compiled: CompiledSpec, event: unknown): MappedOp[] | string | typeof FILTERED {
  const envelope = decodeEnvelope(JSON.stringify(event));
  if (envelope instanceof EnvelopeError) return envelope.reason;
  const actions = compiled.events.get(envelope.event_type);
  if (!actions) return `no projection for event type ${envelope.event_type}`;
  try {
    if (filteredOut(actions, envelope)) return FILTERED;
  } catch (e) {
    // As the runtime does (prepare.ts): what the event's `when` throws is its rejection.
    return `mapping the event failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  const ops = mapEvent(actions, envelope);
  return ops instanceof MapError ? ops.reason : ops;
}

/** Runs one example with no database: earlier events build an in-memory row state, then the event is decided. */
export function checkExample(
  compiled: CompiledSpec,
  example: ExampleSpec,
): { failures: string[]; ops: ShownOp[]; stale: string[] } {
  const failures: string[] = [];
  const state = new RowState();
  const uniques = selectingUniques(compiled);
  for (const [i, given] of example.given.entries()) {
    const ops = mapOne(compiled, given);
    if (typeof ops === "string") {
      failures.push(`given event ${i + 1} is rejected: ${ops}`);
      continue;
    }
    if (ops === FILTERED) continue;
    decideBatch([{ index: 0, eventType: "", ops }], compiled, state, uniques);
  }
  const ops = mapOne(compiled, example.event);
  if (ops === FILTERED) {
    if (!example.filtered) failures.push("event is filtered: its event type's when does not match it");
    return { failures, ops: [], stale: [] };
  }
  if (example.filtered) failures.push("event is projected, expected its event type's when to filter it");
  if (typeof ops === "string") {
    if (example.error === undefined) failures.push(`event is rejected: ${ops}`);
    else if (!ops.includes(example.error))
      failures.push(`event is rejected with "${ops}", expected a reason containing "${example.error}"`);
    return { failures, ops: [], stale: [] };
  }
  const decision = decideBatch([{ index: 0, eventType: "", ops }], compiled, state, uniques);
  const rejected = decision.results[0]?.rejected;
  if (rejected !== undefined) {
    if (example.error === undefined) failures.push(`event is rejected: ${rejected}`);
    else if (!rejected.includes(example.error))
      failures.push(`event is rejected with "${rejected}", expected a reason containing "${example.error}"`);
    return { failures, ops: [], stale: [] };
  }
  if (example.error !== undefined)
    failures.push(`event is accepted, expected it to be rejected with "${example.error}"`);
  const shown = decision.ops.filter((p) => !p.tombOnly).map((p) => showOp(p.op));
  const stale = [...(decision.results[0]?.stale ?? [])];
  if (example.expect) {
    example.expect.forEach((e, i) => compareOp(i, shown[i], e, failures));
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
