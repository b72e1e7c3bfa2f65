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

export type Scalar = string | number | boolean | null;

/** A parsed column type. `name` is the SQL type keyword in lower case. */
export type ColumnType =
  | { readonly name: "varchar" | "char"; readonly length: number }
  | { readonly name: "text" | "mediumtext" }
  | { readonly name: "tinyint" | "smallint" | "int" | "bigint" }
  | { readonly name: "boolean" }
  | { readonly name: "decimal"; readonly precision: number; readonly scale: number }
  | { readonly name: "double" }
  | { readonly name: "date" }
  | { readonly name: "datetime"; readonly fsp: number }
  | { readonly name: "json" }
  | { readonly name: "enum"; readonly values: readonly string[] }
  // Engine tables only (compile/engine-tables.ts); specs cannot name these.
  | { readonly name: "binary"; readonly length: number }
  | { readonly name: "longblob" };

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
  readonly stamp: ReadonlyMap<string, ValueSpec>;
  readonly pos: SourcePos;
  /** Written into the DDL as the table's COMMENT. */
  readonly comment?: string;
}

/** The value transforms (docs/spec-language.md, "Transforms"). */
export type TransformName =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "scale"
  | "round"
  | "map"
  | "upper"
  | "lower"
  | "trim"
  | "concat"
  | "length"
  | "date"
  | "part"
  | "trunc";

export const TRANSFORMS: readonly TransformName[] = [
  "add",
  "sub",
  "mul",
  "div",
  "scale",
  "round",
  "map",
  "upper",
  "lower",
  "trim",
  "concat",
  "length",
  "date",
  "part",
  "trunc",
];

/** How an inexact decimal is rounded to its scale. */
export type RoundMode = "half_up" | "half_even" | "down" | "up";
export const ROUND_MODES: readonly RoundMode[] = ["half_up", "half_even", "down", "up"];

/** Parts of a datetime (`part`) and the units it is truncated to (`trunc`). */
export type DatePart = "year" | "month" | "day" | "hour" | "minute" | "second" | "weekday";
export const DATE_PARTS: readonly DatePart[] = [
  "year",
  "month",
  "day",
  "hour",
  "minute",
  "second",
  "weekday",
];

/** Options of a transform; which apply depends on the transform. */
export interface TransformOptions {
  /** scale: the power of ten to multiply by (-2: cents to units). */
  readonly by?: number;
  /** div, round: decimals of the result (default: the column's scale). */
  readonly decimals?: number;
  /** div, round: how an inexact result is rounded (default: an inexact result is an error; round: half_up). */
  readonly mode?: RoundMode;
  /** map: the lookup table, input (as text) → output. */
  readonly values?: Readonly<Record<string, Scalar>>;
  /** map: what a value not in the table becomes: a constant, itself (pass), or an error. */
  readonly fallback?:
    | { readonly kind: "default"; readonly value: Scalar }
    | { readonly kind: "pass" | "error" };
  /** part, trunc: which part of the datetime. */
  readonly unit?: DatePart;
}

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
  | { readonly kind: "test"; readonly condition: ConditionSpec; readonly pos: SourcePos };

export interface ColumnValue {
  readonly column: string;
  readonly value: ValueSpec;
  /** Upsert only: written on insert, never overwritten. */
  readonly keepExisting: boolean;
  /** Position of the column name (the map key). */
  readonly pos: SourcePos;
}

export type ActionMode = "upsert" | "update" | "soft_delete" | "delete" | "append" | "replace";

export const ACTION_MODES: readonly ActionMode[] = [
  "upsert",
  "update",
  "soft_delete",
  "delete",
  "append",
  "replace",
];

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
