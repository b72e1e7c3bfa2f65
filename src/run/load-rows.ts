import type { CompiledSpec } from "../compile/compile.js";
import { selectRowsStatement } from "../compile/reads.js";
import type { Statement } from "../compile/statements.js";
import { selectCountedStatement } from "../store/counted.js";
import { selectTombstonesStatement, tombstoneTablesStatement } from "../store/tombstones.js";
import type { MappedEvent, RowRequest } from "./decide.js";
import type { Row } from "./ports.js";
import { countHash, keyString, RowState, tombstoneHash } from "./row-state.js";

/** Runs SELECTs in one round trip: inside the batch's transaction, or on the reader session. */
export type Select = (statements: readonly Statement[]) => Promise<Row[][]>;

/**
 * The guarded tables the specs hard-delete rows of: their tombstones are written by those deletes,
 * so their missing rows are always looked up. For the other guarded tables (upserts only, say) a
 * tombstone can only be left from earlier specs: the batch asks whether there is any, in the same
 * round trip as the rows, and looks its missing rows up only then. For a table of upserts that
 * saves, per batch, a round trip, a hash per new row and MariaDB's search of the hashes.
 */
export class TombstoneScope {
  private readonly deleted = new Set<string>();

  constructor(compiled: CompiledSpec) {
    for (const actions of compiled.events.values())
      for (const a of actions)
        if (a.mode === "delete" && a.table.guard && a.guardIndex >= 0) this.deleted.add(a.table.name);
  }

  /** Whether the specs write tombstones of `table`. */
  written(table: string): boolean {
    return this.deleted.has(table);
  }
}

/**
 * Loads guard values and unique-key columns of the requested rows, one SELECT per table in one round trip,
 * then the tombstones of the requested rows that do not exist, into `state`; rows that `known`
 * knows (present or deleted: the batch before, when planning ahead) are left out. Tables whose
 * tombstones the specs do not write (`scope`) are looked up only if they have some.
 */
export async function loadRows(
  select: Select,
  requests: readonly RowRequest[],
  scope: TombstoneScope,
  state: RowState = new RowState(),
  known?: RowState,
): Promise<RowState> {
  const queries: { statement: Statement; req: RowRequest; uniqueCols: readonly string[] }[] = [];
  for (const req of requests) {
    const t = req.table;
    const uniqueCols = [...new Set(t.spec.uniques.flatMap((u) => u.columns))];
    const statement = selectRowsStatement(
      t,
      [uniqueCols],
      [...req.keys.values()],
      [...req.uniques.values()].map((u) => ({ columns: u.key.columns, tuples: [...u.values.values()] })),
    );
    if (statement) queries.push({ statement, req, uniqueCols });
  }
  if (queries.length === 0) return state;
  // Guarded tables whose tombstones only earlier specs could have left: are there any?
  const unsure = new Set<string>();
  for (const q of queries)
    if (q.req.table.guard && !scope.written(q.req.table.name)) unsure.add(q.req.table.name);
  const statements = queries.map((q) => q.statement);
  if (unsure.size > 0) statements.push(tombstoneTablesStatement([...unsure]));
  const sets = await select(statements);
  const withTombstones = new Set(
    (unsure.size > 0 ? sets[queries.length] : undefined)?.map((r) => String(r.table_name)),
  );
  const lookUp = (table: string) => scope.written(table) || withTombstones.has(table);
  queries.forEach((q, i) => {
    const t = q.req.table;
    for (const row of sets[i] ?? []) {
      const key = keyString(t.primaryKey.map((c) => row[c]));
      if (known?.knows(t.name, key)) continue;
      const values = new Map<string, unknown>();
      for (const c of q.uniqueCols) values.set(c, row[c]);
      const groups = t.spec.guardGroups;
      state.write(
        t.spec,
        key,
        t.guard ? row[t.guard] : null,
        values,
        groups ? new Map(groups.map((g) => [g.guard, row[g.guard]])) : undefined,
      );
    }
  });
  for (const req of requests)
    for (const [name, u] of req.uniques)
      for (const k of u.values.keys()) state.lookedUp(req.table.name, name, k);
  await loadTombstones(select, requests, state, known, lookUp);
  return state;
}

/** The tombstones of requested rows of guarded tables that do not exist (hard-deleted, maybe). */
async function loadTombstones(
  select: Select,
  requests: readonly RowRequest[],
  state: RowState,
  known: RowState | undefined,
  lookUp: (table: string) => boolean,
): Promise<void> {
  /** hex of the hash → the row it stands for, and the hash to bind. */
  const wanted = new Map<string, { table: string; key: string; hash: Buffer }>();
  for (const req of requests) {
    const t = req.table;
    if (!t.guard || !lookUp(t.name)) continue;
    for (const key of req.keys.keys()) {
      if (state.get(t.name, key) || known?.knows(t.name, key)) continue;
      const hash = tombstoneHash(t.name, key);
      wanted.set(hash.toString("hex"), { table: t.name, key, hash });
    }
  }
  if (wanted.size === 0) return;
  const [rows = []] = await select([selectTombstonesStatement([...wanted.values()].map((w) => w.hash))]);
  for (const r of rows) {
    const w = wanted.get(Buffer.from(r.key_hash as Buffer).toString("hex"));
    if (w) state.setTomb(w.table, w.key, r.guard);
  }
}

/**
 * Which of the batch's counting ops were applied already (a redelivered event): looked up in their
 * tables' `__counted` tables, one SELECT per table in one round trip, into `state`. Ops that `known`
 * knows applied (the batch before, when planning ahead) are taken from it.
 */
export async function loadCounted(
  select: Select,
  events: readonly MappedEvent[],
  state: RowState,
  known?: RowState,
): Promise<void> {
  /** quoted `__counted` table → hex of the hash → the op. */
  const wanted = new Map<string, { table: string; byHash: Map<string, { id: string; hash: Buffer }> }>();
  for (const ev of events)
    for (const op of ev.ops) {
      const id = op.countId;
      const t = op.action.table;
      if (id === undefined || t.counted === undefined) continue;
      if (known?.isCounted(t.name, id)) {
        state.count(t.name, id);
        continue;
      }
      let w = wanted.get(t.counted);
      if (!w) {
        w = { table: t.name, byHash: new Map() };
        wanted.set(t.counted, w);
      }
      const hash = countHash(id);
      w.byHash.set(hash.toString("hex"), { id, hash });
    }
  if (wanted.size === 0) return;
  const lists = [...wanted];
  const sets = await select(
    lists.map(([quoted, w]) =>
      selectCountedStatement(
        quoted,
        [...w.byHash.values()].map((x) => x.hash),
      ),
    ),
  );
  lists.forEach(([, w], i) => {
    for (const r of sets[i] ?? []) {
      const op = w.byHash.get(Buffer.from(r.op_hash as Buffer).toString("hex"));
      if (op) state.count(w.table, op.id);
    }
  });
}
