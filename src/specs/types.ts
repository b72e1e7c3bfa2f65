import type { ColumnType, Scalar } from "../language/column-type.js";
import type { TransformOptions } from "../language/transform.js";

/** Where something was written in a spec file (1-based line and column). */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Set when it was reached through a YAML alias (or merge key): where that alias is. */
  readonly via?: Via;
}

/** A YAML alias the position was reached through: `*name` at line:col of the same file. */
export interface Via {
  readonly alias: string;
  readonly line: number;
  readonly col: number;
}

export type { ColumnType, Scalar } from "../language/column-type.js";

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** The type as written, for messages. */
  readonly typeText: string;
  readonly nullable: boolean;
  /** undefined: no DEFAULT clause. */
  readonly default: Scalar | undefined;
  readonly pos: SourcePos;
  /** Positions of the `nullable` and `default` values, when given, for messages. */
  readonly nullablePos?: SourcePos;
  readonly defaultPos?: SourcePos;
  /** Written into the DDL as the column's COMMENT. */
  readonly comment?: string;
  /** Engine tables only: an AUTO_INCREMENT surrogate key. */
  readonly autoIncrement?: boolean;
  /** A column MySQL computes from other columns of its row; never written by the engine. */
  readonly generated?: GeneratedSpec;
  /** A column the engine keeps equal to an aggregate of the row's current child rows; no action writes it. */
  readonly aggregate?: AggregateSpec;
}

/**
 * `aggregate: { count: <child table> }` or `{ sum: <child table>, of: [col, …] }` (Σ of the
 * product of the columns), over the child rows whose columns equal `where`'s constants: kept exact
 * in the transaction of every write of those rows.
 */
export interface AggregateSpec {
  readonly fn: "count" | "sum";
  readonly table: string;
  readonly of: readonly string[];
  readonly where: readonly { readonly column: string; readonly value: Scalar }[];
  readonly pos: SourcePos;
}

/** A token of a generated column's expression (specs/generated.ts parses and checks them). */
export type GeneratedToken =
  | { readonly kind: "column"; readonly name: string }
  | {
      readonly kind: "function" | "keyword" | "operator" | "number" | "string" | "paren" | "comma";
      readonly text: string;
    };

export interface GeneratedSpec {
  /** The expression as written. */
  readonly expression: string;
  readonly tokens: readonly GeneratedToken[];
  /** STORED (computed on write, indexable) or VIRTUAL (computed on read). */
  readonly stored: boolean;
  readonly pos: SourcePos;
}

export interface GuardGroup {
  readonly guard: string;
  readonly columns: readonly string[];
  readonly pos: SourcePos;
}

export interface KeySpec {
  readonly name: string;
  readonly columns: readonly string[];
  readonly pos: SourcePos;
}

export interface ParentSpec {
  readonly table: string;
  readonly columns: readonly string[];
  readonly pos: SourcePos;
  /** Positions of the `table` and `columns` values, for messages. */
  readonly tablePos?: SourcePos;
  readonly columnsPos?: SourcePos;
}

export interface TableSpec {
  readonly name: string;
  readonly columns: ReadonlyMap<string, ColumnSpec>;
  readonly primaryKey: readonly string[];
  readonly uniques: readonly KeySpec[];
  readonly indexes: readonly KeySpec[];
  readonly parent: ParentSpec | undefined;
  readonly guard: string | undefined;
  /** Position of the guard value, for messages. */
  readonly guardPos?: SourcePos;
  /**
   * `guards:` further guard columns, each covering columns of its own (the dispute's columns by the
   * dispute's time): an event older than the row's value of one leaves that group alone and still
   * writes the others. The main `guard` covers the columns no group names.
   */
  readonly guardGroups?: readonly GuardGroup[];
  readonly stamp: ReadonlyMap<string, ValueSpec>;
  /** The stamp is the file's `defaults.stamp` (the table declares none). */
  readonly stampFromDefaults?: boolean;
  readonly pos: SourcePos;
  /** Written into the DDL as the table's COMMENT. */
  readonly comment?: string;
}

export type { RoundMode } from "../language/decimal.js";
export { ROUND_MODES } from "../language/decimal.js";
export type { DatePart, TransformOptions } from "../language/transform.js";
export { DATE_PARTS } from "../language/transform.js";

/** A transform's name: one of the registry's (src/language/transforms/). */
export type TransformName = string;

export type CompareOp = "eq" | "ne" | "lt" | "lte" | "gt" | "gte";
export const COMPARE_OPS: readonly CompareOp[] = ["eq", "ne", "lt", "lte", "gt", "gte"];

/** A condition (`when:`, and the `test` value): comparisons combined with all / any / not. */
export type ConditionSpec =
  | {
      readonly kind: "compare";
      readonly op: CompareOp;
      readonly left: ValueSpec;
      readonly right: ValueSpec;
      readonly pos: SourcePos;
    }
  | {
      readonly kind: "in";
      readonly left: ValueSpec;
      readonly values: readonly Scalar[];
      readonly pos: SourcePos;
    }
  | { readonly kind: "exists" | "absent"; readonly value: ValueSpec; readonly pos: SourcePos }
  | { readonly kind: "all" | "any"; readonly of: readonly ConditionSpec[]; readonly pos: SourcePos }
  | { readonly kind: "not"; readonly of: ConditionSpec; readonly pos: SourcePos };

/** A value source: where a column's value comes from. */
export type ValueSpec =
  | {
      readonly kind: "path";
      readonly root: "event" | "element";
      readonly path: string;
      readonly pos: SourcePos;
    }
  | { readonly kind: "const"; readonly value: Scalar; readonly pos: SourcePos }
  | {
      readonly kind: "coalesce";
      readonly paths: readonly (ValueSpec & { kind: "path" })[];
      readonly pos: SourcePos;
    }
  | { readonly kind: "key" | "index" | "position"; readonly pos: SourcePos }
  | {
      readonly kind: "transform";
      readonly name: TransformName;
      readonly args: readonly ValueSpec[];
      readonly options: TransformOptions;
      readonly pos: SourcePos;
    }
  /** A condition's outcome as a boolean. */
  | { readonly kind: "test"; readonly condition: ConditionSpec; readonly pos: SourcePos }
  /**
   * An aggregate's argument `{ each: <path>, of: <value> }`: the value `of` for every element the
   * path selects, `@` paths in it reading that element (qty × unit price per line).
   */
  | {
      readonly kind: "each";
      readonly each: ValueSpec & { kind: "path" };
      readonly of: ValueSpec;
      readonly pos: SourcePos;
    };

/**
 * How an upsert's or update's value combines with the row's: `add` and `subtract` count (the row's
 * value plus or minus the event's, once per event: redeliveries are not counted again), `max` and
 * `min` keep a high- or low-water mark. A new row takes the value (negated for subtract).
 */
export type Combine = "add" | "subtract" | "max" | "min";
export const COMBINES: readonly Combine[] = ["add", "subtract", "max", "min"];

export interface ColumnValue {
  readonly column: string;
  readonly value: ValueSpec;
  /** Upsert only: written on insert, never overwritten. */
  readonly keepExisting: boolean;
  /** `combine:` the value with the row's (a counter, a high-water mark). */
  readonly combine?: Combine;
  /** Position of the `combine` value, for messages. */
  readonly combinePos?: SourcePos;
  /** Position of the column name (the map key). */
  readonly pos: SourcePos;
}

export type ActionMode = "upsert" | "update" | "soft_delete" | "delete" | "append" | "replace";

export interface ActionSpec {
  readonly mode: ActionMode;
  readonly table: string;
  /** upsert/append/replace: the row's columns. update/soft_delete: the SET list (incl. the timestamp column). */
  readonly columns: readonly ColumnValue[];
  /** update/soft_delete/delete: the key that selects the row; replace: the parent key. */
  readonly where: readonly ColumnValue[];
  /** replace: the array or object map to explode. */
  readonly forEach: (ValueSpec & { kind: "path" }) | undefined;
  readonly eventType: string;
  readonly index: number;
  readonly pos: SourcePos;
  /** Position of the table name. */
  readonly tablePos: SourcePos;
  /** The action applies only to events that match (else it is counted as filtered). */
  readonly when?: ConditionSpec;
  /**
   * When its row (update, soft_delete) or its parent row (a child table's upsert, append, replace)
   * is not there: `wait` (the default) keeps the event as an `unmatched` letter to apply later,
   * `skip` leaves the action out and counts it.
   */
  readonly ifMissing?: "wait" | "skip";
  /**
   * update, soft_delete: `stamp: false` writes none of the table's stamp, so the action neither
   * moves the row's guard nor is compared with it (never stale): a write from another entity's
   * stream, whose timestamp says nothing about this row.
   */
  readonly noStamp?: boolean;
  /**
   * Not replace: `with: $.data.refund` makes `@` paths of the action read that object, so one set of
   * columns (a YAML anchor) maps a refund from the event's root and from a replace's elements alike.
   */
  readonly with?: ValueSpec & { kind: "path" };
  /**
   * A replace nested under another's `children:` (the index of that replace in the event's
   * actions): one per element of the outer replace, its rows under that element's row, its parent
   * key taken from that row (it has no `where`), its for_each an `@` path into the element.
   */
  readonly nestedIn?: number;
  readonly ifMissingPos?: SourcePos;
}

export interface ExpectedOp {
  readonly mode: ActionMode;
  readonly table: string;
  readonly row?: Readonly<Record<string, Scalar>>;
  readonly rows?: readonly Readonly<Record<string, Scalar>>[];
  readonly where?: Readonly<Record<string, Scalar>>;
  readonly set?: Readonly<Record<string, Scalar>>;
  readonly absent?: readonly string[];
  readonly pos: SourcePos;
  /** Position of each column named in row/rows/where/set/absent (first mention), for messages. */
  readonly columnPos?: ReadonlyMap<string, SourcePos>;
}

export interface ExampleSpec {
  readonly name: string;
  readonly given: readonly unknown[];
  readonly event: unknown;
  readonly expect: readonly ExpectedOp[] | undefined;
  readonly stale: readonly string[];
  readonly error: string | undefined;
  /** The event's type's `when` must filter it out. */
  readonly filtered?: boolean;
  readonly pos: SourcePos;
  /** Position of event.event_type (else of the event), for messages. */
  readonly eventTypePos?: SourcePos;
}

/** All projection files, merged and validated. */
export interface Spec {
  readonly tables: ReadonlyMap<string, TableSpec>;
  readonly events: ReadonlyMap<string, readonly ActionSpec[]>;
  /** Event type → the condition its events must meet to be projected at all (else: filtered). */
  readonly conditions: ReadonlyMap<string, ConditionSpec>;
  readonly examples: readonly ExampleSpec[];
  readonly files: readonly string[];
}
