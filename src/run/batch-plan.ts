import type { CompiledSpec } from "../compile/compile.js";
import type { Statement } from "../compile/statements.js";
import { log } from "../core/log.js";
import { type BatchDecision, decideBatch, type MappedEvent, type RowRequest, rowRequests } from "./decide.js";
import { buildStatements } from "./group-statements.js";
import { BatchHealer, fetchHealable, type WaitIndex } from "./heal.js";
import { loadCounted, loadRows, type Select, TombstoneScope } from "./load-rows.js";
import type { Database } from "./ports.js";
import { mappedEvents, type Prepared } from "./prepare.js";
import { keyString, RowState } from "./row-state.js";

/** How many times a batch is decided at most while it meets unique values it has not looked up. */
const MAX_ROUNDS = 4;

/**
 * A batch's plan: its decisions (stale, unmatched, rejected) against the row state it was decided
 * on, and the statements that write it. Made in the batch's transaction, or ahead of it while the
 * batch before is written; valid then only if that batch commits as planned.
 */
export interface BatchPlan {
  readonly live: readonly Prepared[];
  readonly events: MappedEvent[];
  /** Waiting letters the batch fetched to heal (their events' indexes follow live's). */
  readonly letters: readonly Prepared[];
  /** The letters the batch decided: still waiting (keys) or not; undefined without healing. */
  readonly settled?: BatchHealer["settled"];
  /** The wait index's version the plan was made on (see WaitIndex.holds). */
  readonly indexVersion?: number | undefined;
  /** The waiting letters it fetched, by identity. */
  readonly fetched?: ReadonlyMap<string, MappedEvent>;
  readonly state: RowState;
  readonly decision: BatchDecision;
  readonly statements: readonly Statement[];
}

/** What the next batch may take from this one's plan: its row state, and tables it changed untracked. */
export interface Basis {
  readonly state: RowState;
  readonly dirty: ReadonlySet<string>;
}

/** Makes batch plans: reads the rows a batch needs, decides it, builds its statements. */
export class Planner {
  private readonly tombstones: TombstoneScope;

  constructor(
    private readonly compiled: CompiledSpec,
    /** The statements' size bound (max_allowed_packet) and dialect, as the database knows them now. */
    private readonly db: Pick<Database, "statementBytes" | "dialect">,
    /** The letters waiting for rows, healed when their rows arrive (none: no healing). */
    private readonly waits?: WaitIndex,
  ) {
    this.tombstones = new TombstoneScope(compiled);
  }

  /** Plans a batch's records in its transaction, on their rows as it sees them. */
  async inTransaction(select: Select, live: readonly Prepared[]): Promise<BatchPlan> {
    const events = mappedEvents(live);
    const version = this.waits?.version;
    const heal = await this.healable(select, live, events);
    const all = heal.events.length > 0 ? [...events, ...heal.events] : events;
    const requests = rowRequests(all, this.compiled);
    for (let round = 1; ; round++) {
      const state = await loadRows(select, requests, this.tombstones);
      await loadCounted(select, all, state);
      const plan = this.decide(live, events, state, heal, version);
      // Unique values the batch learnt only from the rows it read (an upsert keeping part of a
      // composite unique key from its row): look their owners up too, and decide again. Each round
      // looks up more values; the rounds stop when a decision meets no value it has not looked up.
      if (state.unknownUniques.size === 0 || round === MAX_ROUNDS) return plan;
      this.addUnknown(requests, state);
    }
  }

  /** Adds the unique values a decision met without knowing their owners to the requests. */
  private addUnknown(requests: RowRequest[], state: RowState): void {
    for (const { table, unique, values } of state.unknownUniques.values()) {
      const t = this.compiled.tableByName.get(table)!;
      let r = requests.find((x) => x.table === t);
      if (!r) {
        r = { table: t, keys: new Map(), uniques: new Map() };
        requests.push(r);
      }
      let u = r.uniques.get(unique);
      if (!u) {
        u = { key: t.spec.uniques.find((k) => k.name === unique)!, values: new Map() };
        r.uniques.set(unique, u);
      }
      u.values.set(keyString(values), values);
    }
  }

  /**
   * Plans the next batch on top of this one's row state, while this one is written: rows this batch
   * knows (read, written or deleted) come from its state, the others are read as committed (this
   * batch does not touch them). Tables this batch changes without tracking each row (child rows of
   * a replace, cascades of a delete, log tables) cannot be known that way: a next batch that needs
   * rows of them is planned in its own transaction instead. Undefined when it cannot be planned.
   */
  async ahead(
    committed: Select,
    prepared: readonly Prepared[],
    basis: Basis,
  ): Promise<BatchPlan | undefined> {
    try {
      const version = this.waits?.version;
      const events = mappedEvents(prepared);
      const heal = await this.healable(committed, prepared, events);
      const all = heal.events.length > 0 ? [...events, ...heal.events] : events;
      const requests = rowRequests(all, this.compiled);
      if (requests.some((r) => basis.dirty.has(r.table.name))) return undefined;
      const state = new RowState();
      const toLoad: RowRequest[] = [];
      for (const r of requests) {
        const table = r.table.name;
        const keys = new Map<string, readonly unknown[]>();
        for (const [k, values] of r.keys)
          if (!basis.state.copyRowTo(state, r.table.spec, k)) keys.set(k, values);
        const uniques: RowRequest["uniques"] = new Map();
        for (const [name, u] of r.uniques) {
          const values = new Map<string, readonly unknown[]>();
          for (const [k, vals] of u.values) {
            const owner = basis.state.resolveUnique(table, name, k);
            if (owner === undefined) values.set(k, vals);
            else basis.state.copyRowTo(state, r.table.spec, owner);
          }
          if (values.size > 0) uniques.set(name, { key: u.key, values });
        }
        if (keys.size > 0 || uniques.size > 0) toLoad.push({ table: r.table, keys, uniques });
      }
      if (toLoad.length > 0) await loadRows(committed, toLoad, this.tombstones, state, basis.state);
      await loadCounted(committed, all, state, basis.state);
      const plan = this.decide(prepared, events, state, heal, version);
      // A unique value it did not look up: planned in its transaction, where it is looked up.
      return state.unknownUniques.size === 0 ? plan : undefined;
    } catch (e) {
      log.debug("planning ahead failed; the batch is planned in its transaction", { error: String(e) });
      return undefined;
    }
  }

  /** What a batch planned ahead of this one may take from it. */
  basis(plan: BatchPlan): Basis {
    return { state: plan.state, dirty: this.dirtyTables(plan.decision) };
  }

  /** The waiting letters the batch may heal (none without an index, or none waiting). */
  private async healable(select: Select, live: readonly Prepared[], events: readonly MappedEvent[]) {
    if (!this.waits) return { prepared: [], events: [], byId: new Map<string, MappedEvent>() };
    return fetchHealable(select, this.compiled, this.waits, events, live.length);
  }

  /** Decides a batch against a row state and builds its statements. */
  private decide(
    live: readonly Prepared[],
    events: MappedEvent[],
    state: RowState,
    heal: Awaited<ReturnType<Planner["healable"]>>,
    /** The wait index's version when the plan began (its letters were read as of then). */
    version: number | undefined,
  ): BatchPlan {
    const healer = this.waits
      ? new BatchHealer(this.waits, heal.prepared.length > 0 ? [...live, ...heal.prepared] : live, heal.byId)
      : undefined;
    const decision = decideBatch(events, this.compiled, state, healer);
    return {
      live,
      events,
      letters: heal.prepared,
      ...(healer ? { settled: healer.settled, indexVersion: version, fetched: heal.byId } : {}),
      state,
      decision,
      statements: buildStatements(decision.ops, this.compiled, this.db.statementBytes, this.db.dialect),
    };
  }

  /** Tables whose rows a batch changes without its row state knowing each one. */
  private dirtyTables(decision: BatchDecision): Set<string> {
    const dirty = new Set<string>();
    const withDescendants = (table: string) => {
      if (dirty.has(table)) return;
      dirty.add(table);
      for (const c of this.compiled.children.get(table) ?? []) withDescendants(c.name);
    };
    for (const { op, tombOnly } of decision.ops) {
      if (tombOnly) continue;
      const a = op.action;
      if (a.mode === "replace" || a.mode === "append") withDescendants(a.table.name);
      else if (a.mode === "delete")
        for (const c of this.compiled.children.get(a.table.name) ?? []) withDescendants(c.name);
    }
    return dirty;
  }
}
