import type { ColumnSpec, ColumnType, KeySpec, TableSpec } from "../specs/types.js";

/**
 * The engine's own tables, next to the projected ones; specs may not use the projector_ prefix.
 * Their definitions are here, compiled with the projected tables (compile.ts) and migrated with them
 * (migration.ts); their statements are in src/store/, one file a table.
 */
export const DEAD_LETTERS = "projector_dead_letters";
export const OFFSETS = "projector_offsets";
export const TOMBSTONES = "projector_tombstones";
export const META = "projector_meta";
export const COUNTERS = "projector_counters";
export const FINGERPRINTS = "projector_fingerprints";
export const REBUILDS = "projector_rebuilds";

const HERE = { file: "(engine)", line: 1, col: 1 };

type Col = [
  name: string,
  type: ColumnType,
  typeText: string,
  nullable?: boolean,
  autoIncrement?: boolean,
  /** For columns an older database lacks: what migrate fills its existing rows with. */
  defaultValue?: string | number,
];

function table(
  name: string,
  columns: readonly Col[],
  primaryKey: readonly string[],
  keys: { uniques?: [string, string[]][]; indexes?: [string, string[]][] } = {},
): TableSpec {
  const cols = new Map<string, ColumnSpec>(
    columns.map(([col, type, typeText, nullable = false, autoIncrement = false, defaultValue]) => [
      col,
      {
        name: col,
        type,
        typeText,
        nullable,
        default: defaultValue,
        pos: HERE,
        ...(autoIncrement ? { autoIncrement } : {}),
      },
    ]),
  );
  const key = ([n, c]: [string, string[]]): KeySpec => ({ name: n, columns: c, pos: HERE });
  return {
    name,
    columns: cols,
    primaryKey,
    uniques: (keys.uniques ?? []).map(key),
    indexes: (keys.indexes ?? []).map(key),
    parent: undefined,
    guard: undefined,
    stamp: new Map(),
    pos: HERE,
  };
}

const varchar = (length: number): ColumnType => ({ name: "varchar", length });

/**
 * The engine tables as table specs: the DDL code that creates the projected tables creates these
 * (key columns compare exactly, like every key), and migrate adds what an older database lacks.
 */
export const ENGINE_TABLES: readonly TableSpec[] = [
  // Keyed by where the event came from, so a redelivered bad event is recorded once. Two kinds: an
  // event that failed (kind "failed"), and one applied but for updates that found no row yet
  // (kind "unmatched", kept so that `dead-letters retry` applies them once the row exists).
  // partition_id and seq order the letters as their records came (Kafka partition and offset, or -1
  // and the line number; -1 and -1 for letters older than these columns).
  table(
    DEAD_LETTERS,
    [
      ["id", { name: "bigint" }, "bigint", false, true],
      ["source", varchar(255), "varchar(255)"],
      ["position", varchar(100), "varchar(100)"],
      ["event_id", varchar(255), "varchar(255)", true],
      ["event_type", varchar(255), "varchar(255)", true],
      ["reason", { name: "text" }, "text"],
      ["payload", { name: "longblob" }, "longblob"],
      ["record_key", { name: "longblob" }, "longblob", true],
      ["failed_at", { name: "datetime", fsp: 6 }, "datetime(6)"],
      ["kind", varchar(16), "varchar(16)", false, false, "failed"],
      // 0 when the payload is not the whole record (cut to fit, or over the maximum record size)
      // or there is no event in it (a Kafka tombstone): such a letter is not retried.
      ["retriable", { name: "boolean" }, "boolean", false, false, 1],
      ["attempts", { name: "int" }, "int", false, false, 1],
      ["first_failed_at", { name: "datetime", fsp: 6 }, "datetime(6)", true],
      ["partition_id", { name: "int" }, "int", false, false, -1],
      ["seq", { name: "bigint" }, "bigint", false, false, -1],
    ],
    ["id"],
    {
      uniques: [["uq_dead_letters_source_position", ["source", "position"]]],
      indexes: [
        ["idx_dead_letters_event_type", ["event_type"]],
        ["idx_dead_letters_order", ["source", "partition_id", "seq"]],
      ],
    },
  ),
  // Written in the same transaction as the rows: the consumer resumes from here (effectively once).
  table(
    OFFSETS,
    [
      ["consumer_group", varchar(255), "varchar(255)"],
      ["topic", varchar(255), "varchar(255)"],
      ["partition_id", { name: "int" }, "int"],
      ["next_offset", { name: "bigint" }, "bigint"],
      ["updated_at", { name: "datetime", fsp: 6 }, "datetime(6)"],
    ],
    ["consumer_group", "topic", "partition_id"],
  ),
  // Hard-deleted rows of tables with a guard, with the guard value of the delete: an older event
  // does not bring such a row back. Keyed by SHA-1 of table and key (keys of any length). No wall
  // clock: the table, like the projected ones, is a function of the stream.
  table(
    TOMBSTONES,
    [
      ["key_hash", { name: "binary", length: 20 }, "binary(20)"],
      ["table_name", varchar(64), "varchar(64)"],
      ["row_key", { name: "text" }, "text"],
      ["guard", varchar(100), "varchar(100)"],
    ],
    ["key_hash"],
    { indexes: [["idx_tombstones_table", ["table_name"]]] },
  ),
  // What migrate chose for this database (the dialect and its key collation), for status and later migrations.
  table(
    META,
    [
      ["name", varchar(64), "varchar(64)"],
      ["value", varchar(255), "varchar(255)"],
    ],
    ["name"],
  ),
  // Events by type and outcome (applied, stale, filtered, …) per consumer group (or "replay"),
  // added in each batch's transaction: what status shows.
  table(
    COUNTERS,
    [
      ["scope", varchar(255), "varchar(255)"],
      ["event_type", varchar(255), "varchar(255)"],
      ["outcome", varchar(32), "varchar(32)"],
      ["events", { name: "bigint" }, "bigint"],
    ],
    ["scope", "event_type", "outcome"],
  ),
  // Per projected table, the version of the specs its rows were built with (compile/fingerprint.ts):
  // status compares it with the specs on disk, and run refuses a table that needs a rebuild.
  table(
    FINGERPRINTS,
    [
      ["table_name", varchar(64), "varchar(64)"],
      ["fingerprint", { name: "char", length: 64 }, "char(64)"],
      ["version", { name: "mediumtext" }, "mediumtext"],
      ["recorded_at", { name: "datetime", fsp: 6 }, "datetime(6)"],
    ],
    ["table_name"],
  ),
  // A `projector rebuild` under way or done: its tables, shadow tables, consumer group and progress.
  table(
    REBUILDS,
    [
      ["name", varchar(255), "varchar(255)"],
      ["tables_json", { name: "text" }, "text"],
      ["fingerprint", { name: "char", length: 64 }, "char(64)"],
      ["consumer_group", varchar(255), "varchar(255)"],
      ["phase", varchar(32), "varchar(32)"],
      ["applied", { name: "bigint" }, "bigint"],
      ["behind", { name: "bigint" }, "bigint", true],
      ["started_at", { name: "datetime", fsp: 6 }, "datetime(6)"],
      ["updated_at", { name: "datetime", fsp: 6 }, "datetime(6)"],
    ],
    ["name"],
  ),
];

/** Where a counted table's counted events are kept: `<table>__counted` (a shadow's beside it). */
export const COUNTED_SUFFIX = "__counted";

/**
 * The events a table's counters (`combine: add`/`subtract`) have counted, one row per action of an
 * event: the SHA-1 of its event type, event_id and the action's index. Written in the transaction
 * that counts, read before deciding a batch: a redelivered event (the same event_id at another
 * offset, a replay, a retry) is not counted again. Renamed with its table by a rebuild's swap.
 */
export function countedTableSpec(name: string): TableSpec {
  return table(name, [["op_hash", { name: "binary", length: 20 }, "binary(20)"]], ["op_hash"]);
}
