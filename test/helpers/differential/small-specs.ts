import fc from "fast-check";

/**
 * Small specs of the differential tests: one family of tables (a parent `p`, its children `c`, their
 * children `g`, a log `l`) whose features are switched on and off, and streams over a few keys and
 * values chosen to collide: keys equal to the database but not as text (`"1.5"` and `"1.50"`,
 * CHAR's trailing spaces), NULL and the string "null" in unique keys, unique values handed from row
 * to row, same-time and stale events, children before their parents, duplicates, bad values.
 *
 * A stream interleaves up to three components that share no key and no unique value: any
 * interleaving of them gives the same tables, so a Kafka run with several partitions (a component
 * per partition) must give the tables of the stream's order. Every event type is `p.…`: one topic,
 * so a partition holds its component's events in the stream's order.
 */
export interface SmallSpec {
  readonly keyType: "varchar" | "char" | "decimal";
  readonly guard: "none" | "ts" | "ver";
  readonly email: "none" | "unique" | "nullable";
  readonly emailKeep: boolean;
  readonly pair: boolean;
  readonly nameRequired: boolean;
  readonly child: "none" | "replace" | "upsert" | "both";
  readonly grandchild: boolean;
  readonly childUnique: boolean;
  readonly log: "none" | "plain" | "child";
  readonly updateByEmail: boolean;
  readonly softDelete: boolean;
  readonly hardDelete: boolean;
  /** Updates, soft deletes and child writes say `if_missing: skip` (else they wait: unmatched). */
  readonly skipMissing: boolean;
  /** `p.touched`: an update that writes no stamp (never stale, the guard stays) and sets `created` once. */
  readonly touch: boolean;
  /** With a replace of `c` and grandchildren: the replace nests one of `g` per element (`children:`). */
  readonly nested: boolean;
  /** `p.renamed`: an update of `doc, name, amount`: without doc, the same statement text as p.updated's. */
  readonly rename: boolean;
  /**
   * Counters and marks (`combine:`): p.created adds to `n` and keeps the max of `hi`, `p.counted`
   * does too (guarded), `p.spent` subtracts (no stamp), and p.c_added adds to a child's qty.
   */
  readonly counters: boolean;
  /** `aggregate:` columns: p counts its c rows (all, and those without a sku) and sums their qty; c sums its g rows' w. */
  readonly aggregates: boolean;
  /** `guards: { gt: [doc, flag] }`: doc and flag are written under their own guard gt (from $.data.gts). */
  readonly groups: boolean;
}

export const smallSpecArb: fc.Arbitrary<SmallSpec> = fc.record({
  keyType: fc.constantFrom("varchar", "char", "decimal"),
  guard: fc.constantFrom("none", "ts", "ver"),
  email: fc.constantFrom("none", "unique", "nullable"),
  emailKeep: fc.boolean(),
  pair: fc.boolean(),
  nameRequired: fc.boolean(),
  child: fc.constantFrom("none", "replace", "upsert", "both"),
  grandchild: fc.boolean(),
  childUnique: fc.boolean(),
  log: fc.constantFrom("none", "plain", "child"),
  updateByEmail: fc.boolean(),
  softDelete: fc.boolean(),
  hardDelete: fc.boolean(),
  skipMissing: fc.boolean(),
  touch: fc.boolean(),
  nested: fc.boolean(),
  rename: fc.boolean(),
  counters: fc.boolean(),
  aggregates: fc.boolean(),
  groups: fc.boolean(),
});

const KEY_TYPE = { varchar: "varchar(6)", char: "char(4)", decimal: "decimal(8,2)" } as const;

/** The spec's YAML text. */
export function specYaml(s: SmallSpec): string {
  const key = KEY_TYPE[s.keyType];
  const lines: string[] = ["tables:", "  p:", "    primary_key: [id]"];
  if (s.guard !== "none") lines.push(`    guard: ${s.guard}`);
  const uniques: string[] = [];
  if (s.email !== "none") uniques.push("[email]");
  if (s.pair) uniques.push("[a, b]");
  if (uniques.length > 0) lines.push(`    unique: [${uniques.join(", ")}]`);
  if (s.groups) lines.push("    guards: { gt: [doc, flag] }");
  // Secondary indexes: projector never looks rows up by these (a bulk load builds them at its end).
  lines.push("    indexes: [[name, amount], [created]]");
  if (s.guard === "ts") lines.push("    stamp: { ts: $.timestamp }");
  if (s.guard === "ver") lines.push("    stamp: { ver: $.data.version }");
  lines.push("    columns:", `      id: { type: "${key}" }`);
  if (s.email === "unique") lines.push("      email: { type: varchar(8) }");
  if (s.email === "nullable") lines.push("      email: { type: varchar(8), nullable: true }");
  if (s.pair)
    lines.push("      a: { type: varchar(4), nullable: true }", "      b: { type: int, nullable: true }");
  lines.push(
    `      name: { type: varchar(6)${s.nameRequired ? "" : ", nullable: true"} }`,
    `      amount: { type: "decimal(8,2)", nullable: true }`,
    "      doc: { type: json, nullable: true }",
    "      created: { type: datetime(6), nullable: true }",
    "      deleted_at: { type: datetime(6), nullable: true }",
    "      flag: { type: boolean, default: false }",
  );
  if (s.groups) lines.push("      gt: { type: datetime(6), nullable: true }");
  if (s.counters)
    lines.push("      n: { type: int, default: 0 }", `      hi: { type: "decimal(8,2)", nullable: true }`);
  if (s.aggregates && s.child !== "none")
    lines.push(
      "      nc: { type: int, default: 0, aggregate: { count: c } }",
      "      nq: { type: bigint, nullable: true, default: 0, aggregate: { sum: c, of: qty } }",
      "      bare: { type: int, default: 0, aggregate: { count: c, where: { sku: null } } }",
      "      s1: { type: int, default: 0, aggregate: { count: c, where: { sku: s1 } } }",
    );
  if (s.guard === "ts") lines.push("      ts: { type: datetime(6) }");
  if (s.guard === "ver") lines.push("      ver: { type: bigint }");
  const child = s.child !== "none";
  if (child) {
    lines.push(
      "  c:",
      "    parent: { table: p, columns: [id] }",
      "    primary_key: [id, cid]",
      ...(s.childUnique ? ["    unique: [[sku]]"] : []),
      // The first on the parent key stays through a bulk load (the replace's DELETE uses it).
      "    indexes: [[id, qty], [sku, qty]]",
      "    columns:",
      `      id: { type: "${key}" }`,
      "      cid: { type: varchar(4) }",
      "      qty: { type: int, nullable: true }",
      "      sku: { type: varchar(4), nullable: true }",
      ...(s.aggregates && s.grandchild
        ? [
            `      gw: { type: "decimal(9,1)", nullable: true, default: 0, aggregate: { sum: g, of: [w] } }`,
            `      gww: { type: "decimal(2,1)", nullable: true, default: 0, aggregate: { sum: g, of: [w, w, w] } }`,
          ]
        : []),
    );
    if (s.grandchild)
      lines.push(
        "  g:",
        "    parent: { table: c, columns: [id, cid] }",
        "    primary_key: [id, cid, gid]",
        "    columns:",
        `      id: { type: "${key}" }`,
        "      cid: { type: varchar(4) }",
        "      gid: { type: varchar(4) }",
        `      w: { type: "decimal(6,1)", nullable: true }`,
      );
  }
  if (s.log !== "none")
    lines.push(
      "  l:",
      ...(s.log === "child"
        ? ["    parent: { table: p, columns: [id] }", "    primary_key: [id, event_id]"]
        : ["    primary_key: [event_id]"]),
      "    indexes: [[id], [note]]",
      "    columns:",
      "      event_id: { type: char(36) }",
      `      id: { type: "${key}" }`,
      "      note: { type: varchar(4), nullable: true }",
    );
  const email =
    s.email === "none"
      ? ""
      : `, email: ${s.emailKeep ? "{ path: $.data.email, keep_existing: true }" : "$.data.email"}`;
  const pair = s.pair ? ", a: $.data.a, b: $.data.b" : "";
  const skip = s.skipMissing ? ["      if_missing: skip"] : [];
  const gt = s.groups ? ", gt: $.data.gts" : "";
  const count = s.counters
    ? ", n: { path: $.data.pts, combine: add }, hi: { path: $.data.amount, combine: max }"
    : "";
  lines.push(
    "events:",
    "  p.created:",
    "    - upsert: p",
    `      columns: { id: $.entity_id${email}${pair}, name: $.data.name, amount: $.data.amount, doc: $.data.doc, flag: $.data.flag, created: { path: $.data.created, keep_existing: true }${count}${gt} }`,
  );
  if (s.child === "replace" || s.child === "both")
    lines.push(
      "    - replace: c",
      "      where: { id: $.entity_id }",
      "      for_each: $.data.items",
      '      columns: { cid: "@.cid", qty: "@.qty", sku: "@.sku" }',
      ...(s.nested && s.grandchild
        ? [
            "      children:",
            "        - replace: g",
            '          for_each: "@.bins"',
            '          columns: { gid: "@.gid", w: "@.w" }',
          ]
        : []),
    );
  if (s.log !== "none")
    lines.push(
      "    - append: l",
      "      columns: { event_id: $.event_id, id: $.entity_id, note: $.data.note }",
    );
  lines.push(
    "  p.updated:",
    "    - update: p",
    ...skip,
    "      where: { id: $.entity_id }",
    `      set: { name: $.data.name, amount: $.data.amount${s.email === "none" ? "" : ", email: $.data.email"}${pair} }`,
  );
  if (s.updateByEmail && s.email !== "none")
    lines.push(
      "  p.found:",
      "    - update: p",
      "      where: { email: $.data.email }",
      `      set: { name: $.data.name, doc: $.data.doc${gt} }`,
    );
  if (s.softDelete)
    lines.push(
      "  p.removed:",
      "    - soft_delete: p",
      ...skip,
      "      where: { id: $.entity_id }",
      "      column: deleted_at",
    );
  if (s.hardDelete) lines.push("  p.deleted:", "    - delete: p", "      where: { id: $.entity_id }");
  if (s.rename)
    lines.push(
      "  p.renamed:",
      "    - update: p",
      "      where: { id: $.entity_id }",
      `      set: { doc: $.data.doc, name: $.data.name, amount: $.data.amount${gt} }`,
    );
  if (s.groups)
    lines.push(
      "  p.regrouped:",
      "    - update: p",
      ...skip,
      "      where: { id: $.entity_id }",
      "      stamp: false",
      "      set: { doc: $.data.doc, flag: $.data.flag, gt: $.data.gts }",
    );
  if (s.counters)
    lines.push(
      "  p.counted:",
      "    - update: p",
      ...skip,
      "      where: { id: $.entity_id }",
      "      set: { n: { path: $.data.pts, combine: add }, hi: { path: $.data.amount, combine: max } }",
      "  p.spent:",
      "    - update: p",
      ...skip,
      "      where: { id: $.entity_id }",
      "      stamp: false",
      "      set: { n: { path: $.data.pts, combine: subtract } }",
    );
  if (s.touch)
    lines.push(
      "  p.touched:",
      "    - update: p",
      ...skip,
      "      where: { id: $.entity_id }",
      "      stamp: false",
      "      set: { created: { path: $.data.created, keep_existing: true }, amount: $.data.amount }",
    );
  if (s.child === "upsert" || s.child === "both")
    lines.push(
      "  p.c_added:",
      "    - upsert: c",
      ...skip,
      `      columns: { id: $.entity_id, cid: $.data.cid, qty: ${s.counters ? "{ path: $.data.qty, combine: add }" : "$.data.qty"}, sku: $.data.sku }`,
    );
  if (child)
    lines.push(
      "  p.c_changed:",
      "    - update: c",
      ...skip,
      "      where: { id: $.entity_id, cid: $.data.cid }",
      "      set: { qty: $.data.qty }",
    );
  if (child && s.grandchild)
    lines.push(
      "  p.g_set:",
      "    - replace: g",
      ...skip,
      "      where: { id: $.entity_id, cid: $.data.cid }",
      "      for_each: $.data.bins",
      '      columns: { gid: "@.gid", w: "@.w" }',
    );
  if (s.log !== "none")
    lines.push(
      "  p.noted:",
      "    - append: l",
      ...(s.log === "child" ? skip : []),
      "      columns: { event_id: $.event_id, id: $.entity_id, note: $.data.note }",
    );
  return `${lines.join("\n")}\n`;
}

/** The event types a spec declares. */
export function eventTypes(s: SmallSpec): string[] {
  const child = s.child !== "none";
  return [
    "p.created",
    "p.updated",
    ...(s.updateByEmail && s.email !== "none" ? ["p.found"] : []),
    ...(s.softDelete ? ["p.removed"] : []),
    ...(s.hardDelete ? ["p.deleted"] : []),
    ...(s.touch ? ["p.touched"] : []),
    ...(s.rename ? ["p.renamed"] : []),
    ...(s.counters ? ["p.counted", "p.spent"] : []),
    ...(s.groups ? ["p.regrouped"] : []),
    ...(s.child === "upsert" || s.child === "both" ? ["p.c_added"] : []),
    ...(child ? ["p.c_changed"] : []),
    ...(child && s.grandchild ? ["p.g_set"] : []),
    ...(s.log !== "none" ? ["p.noted"] : []),
  ];
}

const ABSENT = Symbol("absent");
type Pick = readonly unknown[];

/**
 * Per component, the values a field takes (ABSENT: the field is left out). The first four of each
 * are drawn most often; the later ones (bad values, rarer shapes) now and then.
 */
const pools = (c: number) => ({
  // Keys equal to the database, not as text: "1.5"/"1.50", "A"/"A " in CHAR.
  key: {
    varchar: [`${c}A`, `${c}a`, `${c}A `],
    char: [`${c}A`, `${c}A `, `${c}B`],
    decimal: [`${c}1.5`, `${c}1.50`, `${c}2`],
  },
  // The string "null" beside NULL (one component only, so components share no unique value).
  email: [`x${c}`, `y${c}`, null, ABSENT, c === 0 ? "null" : `z${c}`],
  a: [`k${c}`, `j${c}`, null, ABSENT],
  b: [1, 2, null, ABSENT],
  name: ["n1", "n2", "n1", ABSENT, null, "toolong1"],
  amount: ["12.5", 12.5, "12.50", ABSENT, null, "7", "x"],
  doc: [ABSENT, { z: 1, a: [1, 2] }, [1, "x"], "s", null],
  flag: [ABSENT, true, false, 1],
  created: ["2024-12-31T23:00:00Z", ABSENT, "2025-01-01T00:00:00+01:00", null],
  // The second is the first instant in another offset: same-time events.
  ts: ["2025-01-01T00:00:01Z", "2025-01-01T01:00:01+01:00", "2025-01-01T00:00:02Z", "2025-01-01T00:00:03.5Z"],
  version: [1, 2, 3, 2, ABSENT],
  items: [
    [{ cid: "c1", qty: 1 }],
    [
      { cid: "c1", qty: 1 },
      { cid: "c2", qty: 2, sku: `s${c}`, bins: [{ gid: "g2", w: "0.5" }] },
    ],
    [],
    ABSENT,
    null,
    [{ cid: "c1" }, { cid: "c1", qty: 3 }],
    { m: { cid: "c3", sku: `s${c}` } },
    [{ cid: "c2", sku: `t${c}`, bins: [{ gid: "g1", w: 1.5 }, { gid: "g1" }] }],
  ],
  cid: ["c1", "c2", "c3"],
  qty: [1, 5, ABSENT, null, "x"],
  sku: [ABSENT, `s${c}`, `t${c}`, null],
  bins: [
    [{ gid: "g1", w: 1.5 }],
    [{ gid: "g2", w: "0.5" }],
    [],
    ABSENT,
    null,
    [{ gid: "g1" }, { gid: "g2", w: "2.25" }],
  ],
  note: [ABSENT, "hi", null, "toolong"],
  pts: [1, 2, -3, ABSENT, null, "x", 10],
  // The group's own times: the second is older than the first, the third the newest.
  gts: [
    "2025-01-01T00:00:02Z",
    "2025-01-01T00:00:01Z",
    "2025-01-01T00:00:03Z",
    "2025-01-01T00:00:02Z",
    ABSENT,
  ],
});

/** One generated event: indexes into the pools (taken modulo their length), so every draw is valid. */
export interface GenEvent {
  readonly comp: number;
  readonly type: number;
  readonly key: number;
  readonly ts: number;
  readonly f: readonly number[];
  /** Repeat an earlier event of the same component, as it was (same event id): a redelivery. */
  readonly dup: boolean;
  /** 0: a good record; 1: undecodable; 2: a missing envelope field; 3: an unknown event type. */
  readonly bad: number;
}

const FIELDS = [
  "email",
  "a",
  "b",
  "name",
  "amount",
  "doc",
  "flag",
  "created",
  "version",
  "items",
  "cid",
  "qty",
  "sku",
  "bins",
  "note",
  "pts",
  "gts",
] as const;

export const genEventArb: fc.Arbitrary<GenEvent> = fc.record({
  comp: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 }) },
  ),
  type: fc.nat({ max: 23 }),
  key: fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 1 }) }, { weight: 1, arbitrary: fc.nat({ max: 2 }) }),
  ts: fc.nat({ max: 3 }),
  f: fc.array(
    fc.oneof({ weight: 12, arbitrary: fc.nat({ max: 3 }) }, { weight: 1, arbitrary: fc.nat({ max: 7 }) }),
    { minLength: FIELDS.length, maxLength: FIELDS.length },
  ),
  dup: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  bad: fc.oneof(
    { weight: 30, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
  ),
});

export const streamArb = (maxLength = 30): fc.Arbitrary<GenEvent[]> =>
  fc.array(genEventArb, { minLength: 1, maxLength });

/** A stream's records: JSONL lines, each with its Kafka key (and partition, when it is set). */
export interface Line {
  readonly text: string;
  readonly key: string;
  /** A component's events go to one partition (of several: component modulo their number). */
  readonly component?: number;
}

/** Turns generated events into JSONL lines for a spec. */
export function streamLines(s: SmallSpec, events: readonly GenEvent[]): Line[] {
  // Creates most often, then updates: rows must exist for the other events to meet them.
  const declared = eventTypes(s);
  const types = [...declared, "p.created", "p.created", "p.created", "p.updated"];
  const out: Line[] = [];
  const lastOf = new Map<number, Line>();
  events.forEach((e, i) => {
    const key = `c${e.comp}`;
    const component = e.comp;
    const earlier = lastOf.get(e.comp);
    if (e.dup && earlier) {
      out.push(earlier);
      return;
    }
    const p = pools(e.comp);
    const pick = (pool: Pick, n: number) => pool[n % pool.length];
    const data: Record<string, unknown> = {};
    FIELDS.forEach((name, j) => {
      const v = pick(p[name] as Pick, e.f[j] ?? 0);
      if (v !== ABSENT) data[name] = v;
    });
    const eventId = `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`;
    const envelope: Record<string, unknown> = {
      event_type: e.bad === 3 ? "p.unknown" : types[e.type % types.length],
      event_id: eventId,
      timestamp: p.ts[e.ts % p.ts.length],
      entity_id: pick(p.key[s.keyType], e.key),
      data,
    };
    if (e.bad === 2) delete envelope.entity_id;
    const text =
      e.bad === 1 ? `{"event_type": "p.created", "event_id": "${eventId}", ` : JSON.stringify(envelope);
    const line = { text, key, component };
    lastOf.set(e.comp, line);
    out.push(line);
  });
  return out;
}

/** An event written for people: its type, component, key and fields by value (absent: left out). */
export interface ReadableEvent {
  readonly type: string;
  readonly key?: number;
  readonly comp?: number;
  /** Index of the envelope timestamp in the pool (0 and 1 are the same instant). */
  readonly ts?: number;
  readonly data?: Readonly<Record<string, unknown>>;
  readonly dup?: boolean;
}

/**
 * The generated events that make these readable ones: a regression case written this way is one the
 * generators can produce (every value is looked up in the pools; one that is not there throws).
 */
export function generated(s: SmallSpec, events: readonly ReadableEvent[]): GenEvent[] {
  const declared = eventTypes(s);
  return events.map((e) => {
    const comp = e.comp ?? 0;
    const p = pools(comp);
    const type = declared.indexOf(e.type);
    if (type < 0) throw new Error(`the spec declares no ${e.type}`);
    const f = FIELDS.map((name) => {
      const pool = p[name] as Pick;
      const want = e.data && name in e.data ? e.data[name] : ABSENT;
      const at = pool.findIndex((v) =>
        v === ABSENT || want === ABSENT ? v === want : JSON.stringify(v) === JSON.stringify(want),
      );
      if (at >= 0) return at;
      if (want === ABSENT) return 0; // a field every draw gives: it is left as drawn (cid)
      throw new Error(`${name} = ${JSON.stringify(want)} is not a value the generator draws`);
    });
    return { comp, type, key: e.key ?? 0, ts: e.ts ?? 0, f, dup: e.dup ?? false, bad: 0 };
  });
}
