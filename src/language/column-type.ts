/** A constant of a spec: what YAML gives as a scalar. */
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
