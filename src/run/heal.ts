import type { CompiledSpec } from "../compile/compile.js";
import type { Statement } from "../compile/statements.js";
import type { SourceRecord } from "../core/source-record.js";
import { selectWaitingLettersStatement, selectWaitingLettersToHealStatement } from "../store/dead-letters.js";
import { letterFor } from "./dead-letters.js";
import { creatableKeys, type EventResult, type Healer, type MappedEvent, waitKeys } from "./decide.js";
import type { Row } from "./ports.js";
import { type Prepared, prepareRecord } from "./prepare.js";

/**
 * Early events that heal: an event kept as an `unmatched` letter (an update, soft delete or child
 * row that found no row yet) is applied again right after an event creates a row it waits on, in
 * the same transaction. What it waits on: the rows its actions would find (`waitKeys`: the row of
 * an update or soft delete by primary key, the parent row of a child row or replace), all of them,
 * so that what waits follows from the letter's payload alone (and the index can be rebuilt from
 * the letters at start). The letters an event's new rows heal are decided right after it, in letter
 * order (source, partition, offset or line: the order `dead-letters retry` takes), each followed by
 * the letters its own new rows heal; a letter heals at most once per event of the stream.
 *
 * This file holds the letter order, the process's index of waiting letters (rebuilt from
 * projector_dead_letters at start, kept up to date by the batches it commits), and the batch's
 * view of it that decideBatch consults.
 */

/** A letter's place in letter order: the record's source, partition and sequence. */
export interface LetterPlace {
  readonly id: string;
  readonly source: string;
  readonly partition: number;
  readonly seq: bigint;
}

/** The identity and place of the letter a record has (or would have): `source\0position`. */
export function letterPlace(record: SourceRecord): LetterPlace {
  const l = letterFor(record, "");
  return {
    id: `${l.source}\u0000${l.position}`,
    source: l.source,
    partition: l.partition,
    seq: BigInt(l.seq),
  };
}

/** Letter order: by source, then partition, then offset or line. */
export function compareLetters(a: LetterPlace, b: LetterPlace): number {
  if (a.source !== b.source) return a.source < b.source ? -1 : 1;
  if (a.partition !== b.partition) return a.partition - b.partition;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

interface Waiting {
  readonly place: LetterPlace;
  readonly keys: readonly string[];
}

/** Letters fetched per round trip when the index is built, or healed. */
const PAGE = 500;

/**
 * The letters waiting for rows, by the rows they wait on. Held in memory: a few strings per
 * waiting letter, nothing per event. Read from projector_dead_letters at start (`refresh`), changed
 * by the batches this process commits (`commit`), and read again from the table when another
 * process may have changed it (`refresh` again: letters of another member of the group, or all
 * of them after a retry, `clear`).
 */
export class WaitIndex {
  private readonly letters = new Map<string, Waiting>();
  private readonly byKey = new Map<string, Set<string>>();
  /** Waits per table (`table` of `table|key`): a batch looks only at rows of these tables. */
  private readonly byTable = new Map<string, number>();
  /** Whether a letter waits on a row of `table`. */
  readonly waitedOn = (table: string): boolean => this.byTable.has(table);
  /** The highest letter id read from the table. */
  maxId = 0n;
  /** Moves whenever the index changes: a plan made ahead on an older index is made again. */
  version = 0;

  get size(): number {
    return this.letters.size;
  }

  /** Letters waiting on any of `keys`. */
  waitingOn(keys: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const k of keys) for (const id of this.byKey.get(k) ?? []) out.add(id);
    return out;
  }

  place(id: string): LetterPlace | undefined {
    return this.letters.get(id)?.place;
  }

  add(place: LetterPlace, keys: readonly string[]): void {
    const had = this.letters.get(place.id);
    if (had && had.keys.length === keys.length && had.keys.every((k, i) => k === keys[i])) return;
    this.remove(place.id);
    if (keys.length === 0) return;
    this.letters.set(place.id, { place, keys });
    for (const k of keys) {
      const s = this.byKey.get(k);
      if (s) s.add(place.id);
      else this.byKey.set(k, new Set([place.id]));
      const t = tableOf(k);
      this.byTable.set(t, (this.byTable.get(t) ?? 0) + 1);
    }
    this.version++;
  }

  remove(id: string): void {
    const w = this.letters.get(id);
    if (!w) return;
    this.letters.delete(id);
    for (const k of w.keys) {
      const s = this.byKey.get(k);
      s?.delete(id);
      if (s?.size === 0) this.byKey.delete(k);
      const t = tableOf(k);
      const n = (this.byTable.get(t) ?? 1) - 1;
      if (n > 0) this.byTable.set(t, n);
      else this.byTable.delete(t);
    }
    this.version++;
  }

  clear(): void {
    if (this.letters.size > 0) this.version++;
    this.letters.clear();
    this.byKey.clear();
    this.byTable.clear();
    this.maxId = 0n;
  }

  /**
   * Reads the waiting letters recorded after `maxId` (all of them, the first time) and indexes
   * what each waits on, as the current specs map it.
   */
  async refresh(
    select: (s: readonly Statement[]) => Promise<Row[][]>,
    compiled: CompiledSpec,
    /**
     * The newest letter's id, read before (under the batch's lock): the letters up to it are
     * known now, waiting or not, so that letters that do not wait (failed ones) do not make
     * every batch after them read again.
     */
    seen?: bigint,
  ): Promise<void> {
    for (;;) {
      const [rows = []] = await select([selectWaitingLettersStatement(String(this.maxId), PAGE)]);
      for (const r of rows) {
        const id = BigInt(String(r.id));
        if (id > this.maxId) this.maxId = id;
        const p = prepareRecord(compiled, letterRecord(r), true);
        if (p.kind === "event") this.add(placeOfRow(r), waitKeys(p.ops));
      }
      if (rows.length < PAGE) break;
    }
    if (seen !== undefined && seen > this.maxId) this.maxId = seen;
  }

  /** After a batch committed: each letter it decided waits now (kept) or no longer. */
  commit(settled: ReadonlyMap<string, { place: LetterPlace; keys: readonly string[] | undefined }>): void {
    const from = this.version;
    for (const [id, s] of settled) {
      if (s.keys) this.add(s.place, s.keys);
      else this.remove(id);
    }
    this.recent = { from, to: this.version, settled };
  }

  /** The last batch's changes (from one version to the next), for plans made ahead of it. */
  private recent:
    | { from: number; to: number; settled: ReadonlyMap<string, { keys: readonly string[] | undefined }> }
    | undefined;

  /**
   * Whether a plan made ahead on version `version` still holds: the index has not moved since, or
   * moved only by the batch before (committed meanwhile), whose new letters wait on no row the
   * plan's events may create and whose healed letters the plan did not fetch.
   */
  holds(plan: {
    readonly indexVersion?: number | undefined;
    readonly events: readonly MappedEvent[];
    readonly fetched?: ReadonlyMap<string, MappedEvent>;
  }): boolean {
    if (plan.indexVersion === this.version) return true;
    const r = this.recent;
    if (!r || r.from !== plan.indexVersion || r.to !== this.version) return false;
    const fetched = plan.fetched ?? new Map<string, MappedEvent>();
    const creatable = new Set<string>();
    for (const ev of [...plan.events, ...fetched.values()]) creatableKeys(ev.ops, creatable, this.waitedOn);
    for (const [id, s] of r.settled) {
      if (fetched.has(id)) return false;
      if (s.keys?.some((k) => creatable.has(k))) return false;
    }
    return true;
  }
}

/** A letter row's place (its source and position as its identity). */
function placeOfRow(r: Row): LetterPlace {
  return {
    id: `${String(r.source)}\u0000${String(r.position)}`,
    source: String(r.source),
    partition: Number(r.partition_id),
    seq: BigInt(String(r.seq)),
  };
}

/** A letter row as the record it was, to go through the runtime again (retry, healing). */
export function letterRecord(r: Row): SourceRecord {
  const payload = Buffer.isBuffer(r.payload) ? r.payload : Buffer.from(String(r.payload ?? ""));
  const key =
    r.record_key === null || r.record_key === undefined ? null : Buffer.from(r.record_key as Buffer);
  return {
    value: payload,
    source: String(r.source),
    position: String(r.position),
    letter: {
      id: String(r.id),
      position: String(r.position),
      recordKey: key,
      partition: Number(r.partition_id),
      seq: String(r.seq),
    },
  };
}

/**
 * A batch's view of the waiting letters, for decideBatch: the process's index, the letters of it
 * the batch may heal (fetched before deciding, their payloads mapped), and what the batch changes
 * (its events kept, its letters healed) on top.
 */
export class BatchHealer implements Healer {
  /**
   * Per letter the batch decided, its state as of this point of the batch: waiting on `keys`, or
   * no longer (undefined); what the index takes when the batch commits.
   */
  readonly settled = new Map<
    string,
    { place: LetterPlace; keys: readonly string[] | undefined; ev: MappedEvent }
  >();
  /** Identity per event (by its index), computed once. */
  private readonly places = new Map<number, LetterPlace>();
  /** The letters `settled` says wait, by the rows they wait on (some may wait no more: checked). */
  private readonly waitersByKey = new Map<string, Set<string>>();

  constructor(
    private readonly index: WaitIndex,
    /** The batch's prepared records followed by the fetched letters': `ev.index` points in here. */
    private readonly prepared: readonly Prepared[],
    /** The fetched letters' events by identity. */
    private readonly fetched: ReadonlyMap<string, MappedEvent>,
  ) {}

  private placeOf(ev: MappedEvent): LetterPlace {
    let p = this.places.get(ev.index);
    if (!p) {
      p = letterPlace(this.prepared[ev.index]!.record);
      this.places.set(ev.index, p);
    }
    return p;
  }

  active(): boolean {
    return this.index.size > 0 || this.settled.size > 0;
  }

  identity(ev: MappedEvent): string {
    return this.placeOf(ev).id;
  }

  waitingOn(created: readonly string[]): { id: string; event: MappedEvent }[] {
    const found = new Map<string, { place: LetterPlace; event: MappedEvent }>();
    for (const id of this.index.waitingOn(created)) {
      if (this.settled.has(id)) continue;
      const event = this.fetched.get(id);
      const place = this.index.place(id);
      if (event && place) found.set(id, { place, event });
    }
    for (const k of created)
      for (const id of this.waitersByKey.get(k) ?? []) {
        const w = this.settled.get(id);
        if (w?.keys?.includes(k)) found.set(id, { place: w.place, event: w.ev });
      }
    return [...found.entries()]
      .sort(([, a], [, b]) => compareLetters(a.place, b.place))
      .map(([id, w]) => ({ id, event: w.event }));
  }

  settle(ev: MappedEvent, result: EventResult, healing: boolean): void {
    const waits = !result.rejected && result.keep !== undefined;
    // An event of the stream that applied whole is no letter (a letter at its place stays as it is).
    // Its place is not computed then: for a file's line it is a digest of the whole record.
    if (!waits && !healing) return;
    const place = this.placeOf(ev);
    const found = waits ? waitKeys(ev.ops) : [];
    const keys = found.length > 0 ? found : undefined;
    this.settled.set(place.id, { place, keys, ev });
    for (const k of found) {
      const ids = this.waitersByKey.get(k);
      if (ids) ids.add(place.id);
      else this.waitersByKey.set(k, new Set([place.id]));
    }
  }
}

/**
 * The waiting letters a batch may heal, fetched with their payloads and mapped: those waiting on a
 * row the batch's events may create, and, in turn, on a row those letters may create. Nothing is
 * read when none waits on such a row (the index answers in memory).
 */
export async function fetchHealable(
  select: (s: readonly Statement[]) => Promise<Row[][]>,
  compiled: CompiledSpec,
  index: WaitIndex,
  events: readonly MappedEvent[],
  firstIndex: number,
): Promise<{ prepared: Prepared[]; events: MappedEvent[]; byId: Map<string, MappedEvent> }> {
  const out = {
    prepared: [] as Prepared[],
    events: [] as MappedEvent[],
    byId: new Map<string, MappedEvent>(),
  };
  if (index.size === 0) return out;
  const creatable = new Set<string>();
  for (const ev of events) creatableKeys(ev.ops, creatable, index.waitedOn);
  const asked = new Set<string>();
  for (;;) {
    const ids = [...index.waitingOn(creatable)].filter((id) => !asked.has(id));
    if (ids.length === 0) return out;
    creatable.clear();
    for (let i = 0; i < ids.length; i += PAGE) {
      const page = ids.slice(i, i + PAGE);
      for (const id of page) asked.add(id);
      const [rows = []] = await select([
        selectWaitingLettersToHealStatement(
          page.map((id) => index.place(id)!).map((p) => [p.source, positionOf(p.id)]),
        ),
      ]);
      const found = new Set(rows.map((r) => placeOfRow(r).id));
      // Retried or purged since (by another process): it waits no more.
      for (const id of page) if (!found.has(id)) index.remove(id);
      for (const r of rows) {
        const p = prepareRecord(compiled, letterRecord(r), true);
        if (p.kind !== "event") continue;
        const ev: MappedEvent = {
          index: firstIndex + out.prepared.length,
          eventType: p.eventType,
          ops: p.ops,
        };
        out.prepared.push(p);
        out.events.push(ev);
        out.byId.set(placeOfRow(r).id, ev);
        creatableKeys(p.ops, creatable, index.waitedOn);
      }
    }
  }
}

/** The table of a wait key (`table|key`). */
function tableOf(key: string): string {
  return key.slice(0, key.indexOf("|"));
}

function positionOf(id: string): string {
  return id.slice(id.indexOf("\u0000") + 1);
}
