import { createHash } from "node:crypto";
import type { ActionSpec, ColumnSpec, Spec, TableSpec } from "../specs/types.js";
import { sqlType } from "./ddl.js";

/**
 * What decides a table's rows, as the specs say it: its columns (types, nullability, defaults,
 * generated expressions), keys, parent, guard and stamp, and every action that writes it (event type,
 * mode, condition, columns and their sources). Indexes and comments are left out: they change no
 * row. Positions are left out: moving a mapping in its file changes nothing either.
 */
export interface TableVersion {
  readonly columns: readonly ColumnVersion[];
  readonly primaryKey: readonly string[];
  readonly uniques: readonly (readonly string[])[];
  readonly parent: { readonly table: string; readonly columns: readonly string[] } | null;
  readonly guard: string | null;
  readonly stamp: readonly (readonly [string, unknown])[];
  readonly writes: readonly WriteVersion[];
}

export interface ColumnVersion {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
  readonly default: unknown;
  readonly generated: string | null;
  /** `aggregate:` as data (absent when the column has none, so older fingerprints stay the same). */
  readonly aggregate?: unknown;
}

export interface WriteVersion {
  readonly event: string;
  /** Its place among the event type's actions on this table (0, or 1 for a second one). */
  readonly nth: number;
  readonly mode: string;
  /** The event type's condition and the action's, as data. */
  readonly when: unknown;
  readonly columns: unknown;
  readonly where: unknown;
  readonly forEach: unknown;
}

/** A table's version and its fingerprint (SHA-256 of the version's canonical JSON). */
export interface TableFingerprint {
  readonly table: string;
  readonly version: TableVersion;
  readonly json: string;
  readonly fingerprint: string;
}

/** JSON of spec data without positions (`pos`, `…Pos`, `via`): the same meaning, the same text. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Map) return [...value].map(([k, v]) => [k, canonical(v)]);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      if (k === "pos" || k === "via" || k.endsWith("Pos")) continue;
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = canonical(v);
    }
    return out;
  }
  return value;
}

function columnVersion(c: ColumnSpec): ColumnVersion {
  return {
    name: c.name,
    type: sqlType(c.type),
    nullable: c.nullable,
    default: c.default ?? null,
    generated: c.generated ? `${c.generated.expression} ${c.generated.stored ? "STORED" : "VIRTUAL"}` : null,
    ...(c.aggregate ? { aggregate: canonical(c.aggregate) } : {}),
  };
}

function writeVersion(spec: Spec, a: ActionSpec, nth: number): WriteVersion {
  return {
    event: a.eventType,
    nth,
    mode: a.mode,
    when: canonical({ event: spec.conditions.get(a.eventType), action: a.when }),
    columns: canonical(a.columns),
    where: canonical(a.where),
    forEach: canonical(a.forEach ?? null),
  };
}

function tableVersion(spec: Spec, t: TableSpec): TableVersion {
  const writes: WriteVersion[] = [];
  for (const [, actions] of [...spec.events].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const mine = actions.filter((a) => a.table === t.name);
    mine.forEach((a, nth) => writes.push(writeVersion(spec, a, nth)));
  }
  return {
    columns: [...t.columns.values()].map(columnVersion),
    primaryKey: t.primaryKey,
    uniques: t.uniques.map((u) => u.columns),
    parent: t.parent ? { table: t.parent.table, columns: t.parent.columns } : null,
    guard: t.guard ?? null,
    stamp: [...t.stamp].map(([col, v]) => [col, canonical(v)] as const),
    writes,
  };
}

/** Every table's fingerprint under these specs. Pure. */
export function tableFingerprints(spec: Spec): Map<string, TableFingerprint> {
  const out = new Map<string, TableFingerprint>();
  for (const t of spec.tables.values()) {
    const version = tableVersion(spec, t);
    const json = JSON.stringify(version);
    out.set(t.name, {
      table: t.name,
      version,
      json,
      fingerprint: createHash("sha256").update(json).digest("hex"),
    });
  }
  return out;
}

/** How a table's stored version relates to the specs' one. */
export type VersionState = "current" | "additive" | "rebuild";

export interface VersionChange {
  readonly state: VersionState;
  /** What changed, one line each ("column customer_phone added: its history is not filled"). */
  readonly reasons: readonly string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** VARCHAR(20) → VARCHAR(50): migrate widens it, no row changes. */
function widened(from: string, to: string): boolean {
  const a = /^(VARCHAR|CHAR)\((\d+)\)$/.exec(from);
  const b = /^(VARCHAR|CHAR)\((\d+)\)$/.exec(to);
  return Boolean(a && b && a[1] === b[1] && Number(b[2]) > Number(a[2]));
}

/**
 * Compares the version a table was built with (`stored`) and the specs' (`now`): current when they
 * are equal; additive when migrate alone makes the table right (a widened VARCHAR, a generated
 * column, a column nothing writes that may be NULL or has a default); else the rows do not follow
 * the specs and the table needs a rebuild (a changed mapping, type or key; a new written column,
 * whose history is not filled).
 */
export function compareVersions(stored: TableVersion, now: TableVersion): VersionChange {
  const rebuild: string[] = [];
  const additive: string[] = [];
  if (!same(stored.primaryKey, now.primaryKey))
    rebuild.push(
      `primary key changed from (${stored.primaryKey.join(", ")}) to (${now.primaryKey.join(", ")})`,
    );
  if (!same(stored.uniques, now.uniques)) rebuild.push("unique keys changed");
  if (!same(stored.parent, now.parent)) rebuild.push("parent changed");
  if (!same(stored.guard, now.guard)) rebuild.push(`guard changed from ${stored.guard} to ${now.guard}`);
  if (!same(stored.stamp, now.stamp)) rebuild.push("stamp changed");
  const before = new Map(stored.columns.map((c) => [c.name, c]));
  const after = new Map(now.columns.map((c) => [c.name, c]));
  const written = new Set<string>();
  for (const w of now.writes)
    for (const c of (w.columns as { column?: string }[] | undefined) ?? [])
      if (c.column) written.add(c.column);
  for (const c of now.columns) {
    const old = before.get(c.name);
    if (!old) {
      if (c.generated) additive.push(`generated column ${c.name} added (MySQL computes it for every row)`);
      else if (c.aggregate)
        rebuild.push(`aggregate column ${c.name} added: its rows' values are not computed`);
      else if (written.has(c.name)) rebuild.push(`column ${c.name} added: its history is not filled`);
      else if (c.nullable || c.default !== null) additive.push(`column ${c.name} added (nothing writes it)`);
      else rebuild.push(`column ${c.name} added, NOT NULL without a default`);
      continue;
    }
    if (old.type !== c.type) {
      if (widened(old.type, c.type)) additive.push(`column ${c.name} widened from ${old.type} to ${c.type}`);
      else rebuild.push(`column ${c.name} changed type from ${old.type} to ${c.type}`);
    }
    if (old.nullable !== c.nullable)
      rebuild.push(`column ${c.name} became ${c.nullable ? "nullable" : "NOT NULL"}`);
    if (!same(old.default, c.default)) rebuild.push(`column ${c.name} changed its default`);
    if (old.generated !== c.generated) rebuild.push(`column ${c.name} changed its generated expression`);
    if (JSON.stringify(old.aggregate ?? null) !== JSON.stringify(c.aggregate ?? null))
      rebuild.push(`column ${c.name} changed its aggregate`);
  }
  for (const c of stored.columns) if (!after.has(c.name)) rebuild.push(`column ${c.name} removed`);
  // The mappings, per event type and action: added, removed or changed.
  const key = (w: WriteVersion) => `${w.event}#${w.nth}`;
  const oldWrites = new Map(stored.writes.map((w) => [key(w), w]));
  const newWrites = new Map(now.writes.map((w) => [key(w), w]));
  for (const [k, w] of newWrites) {
    const o = oldWrites.get(k);
    if (!o) rebuild.push(`${w.event} now writes it (${w.mode}): the events before did not`);
    else if (!same(o, w)) rebuild.push(`the mapping of ${w.event} (${w.mode}) changed`);
  }
  for (const [k, w] of oldWrites)
    if (!newWrites.has(k)) rebuild.push(`${w.event} no longer writes it (${w.mode})`);
  if (rebuild.length > 0) return { state: "rebuild", reasons: rebuild };
  if (additive.length > 0) return { state: "additive", reasons: additive };
  return { state: "current", reasons: [] };
}
