import { selectRowsStatement, selectTombstonesStatement } from "../compile/engine-statements.js";
import type { Statement } from "../compile/statements.js";
import type { RowRequest } from "./decide.js";
import type { Row } from "./ports.js";
import { keyString, RowState, tombstoneHash } from "./row-state.js";

/** Runs SELECTs in one round trip: inside the batch's transaction, or on the reader session. */
export type Select = (statements: readonly Statement[]) => Promise<Row[][]>;

/**
 * Loads guard values and unique keys of the requested rows, one SELECT per table in one round trip,
 * then the tombstones of the requested rows that do not exist, into `state`; rows that `known`
 * knows (present or deleted: the batch before, when planning ahead) are left out.
 */
export async function loadRows(
  select: Select,
  requests: readonly RowRequest[],
  wanted: ReadonlySet<string>,
  state: RowState = new RowState(),
  known?: RowState,
): Promise<RowState> {
  const queries: {
    statement: Statement;
    req: RowRequest;
    uniqueCols: { name: string; columns: readonly string[] }[];
  }[] = [];
  for (const req of requests) {
    const t = req.table;
    const uniqueCols = t.spec.uniques.filter((u) => wanted.has(`${t.name}.${u.name}`));
    const statement = selectRowsStatement(
      t,
      uniqueCols.map((u) => u.columns),
      [...req.keys.values()],
      [...req.uniques.values()].map((u) => ({ columns: u.key.columns, tuples: [...u.values.values()] })),
    );
    if (statement) queries.push({ statement, req, uniqueCols });
  }
  if (queries.length === 0) return state;
  const sets = await select(queries.map((q) => q.statement));
  queries.forEach((q, i) => {
    const t = q.req.table;
    for (const row of sets[i] ?? []) {
      const key = keyString(t.primaryKey.map((c) => row[c]));
      if (known?.knows(t.name, key)) continue;
      const uniques = new Map<string, string>();
      for (const u of q.uniqueCols) uniques.set(u.name, keyString(u.columns.map((c) => row[c])));
      state.set(t.name, key, t.guard ? row[t.guard] : null, uniques);
    }
  });
  await loadTombstones(select, requests, state, known);
  return state;
}

/** The tombstones of requested rows of guarded tables that do not exist (hard-deleted, maybe). */
async function loadTombstones(
  select: Select,
  requests: readonly RowRequest[],
  state: RowState,
  known: RowState | undefined,
): Promise<void> {
  /** hex of the hash → the row it stands for, and the hash to bind. */
  const wanted = new Map<string, { table: string; key: string; hash: Buffer }>();
  for (const req of requests) {
    const t = req.table;
    if (!t.guard) continue;
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
