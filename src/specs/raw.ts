import type { ActionMode, Scalar } from "./types.js";

/** A spec file as YAML gives it, after the JSON Schema: what the readers turn into the model. */
export type RawValue = Scalar | ({ [form: string]: unknown } & { keep_existing?: boolean });
export type RawValueMap = Record<string, RawValue>;
export type RawKey = string[] | { name?: string; columns: string[] };
export type RawCondition = Record<string, unknown>;
export interface RawColumn {
  type: string;
  nullable?: boolean;
  default?: Scalar;
  comment?: string;
  generated?: string | { as: string; stored?: boolean };
  aggregate?: { count?: string; sum?: string; of?: string | string[]; where?: Record<string, Scalar> };
}
export interface RawTable {
  columns: Record<string, RawColumn>;
  primary_key: string[];
  unique?: RawKey[];
  indexes?: RawKey[];
  parent?: { table: string; columns: string[] };
  guard?: string;
  guards?: Record<string, string[]>;
  stamp?: RawValueMap;
  comment?: string;
}
export type RawAction = Partial<Record<ActionMode, string>> & {
  columns?: RawValueMap;
  where?: RawValueMap;
  set?: RawValueMap;
  for_each?: string;
  column?: string;
  value?: RawValue;
  when?: RawCondition;
  if_missing?: string;
  stamp?: boolean;
  with?: string;
  /** replace: replaces of the child tables of its rows, one per element, from `@` paths. */
  children?: RawAction[];
};
export type RawEvent = RawAction[] | { actions?: RawAction[]; same_as?: string; when?: RawCondition };
export interface RawFile {
  defaults?: { stamp?: RawValueMap };
  tables?: Record<string, RawTable>;
  /** Columns and indexes added to tables declared in other files. */
  extend?: Record<string, { columns?: Record<string, RawColumn>; indexes?: RawKey[] }>;
  events?: Record<string, RawEvent>;
  examples?: {
    name: string;
    given?: unknown[];
    event: unknown;
    expect?: (Partial<Record<ActionMode, string>> & Record<string, unknown>)[];
    stale?: string[];
    error?: string;
    filtered?: boolean;
  }[];
}
