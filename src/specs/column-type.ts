import type { ColumnType } from "./types.js";

const SIMPLE: Record<string, ColumnType> = {
  text: { name: "text" },
  mediumtext: { name: "mediumtext" },
  tinyint: { name: "tinyint" },
  smallint: { name: "smallint" },
  int: { name: "int" },
  integer: { name: "int" },
  bigint: { name: "bigint" },
  boolean: { name: "boolean" },
  bool: { name: "boolean" },
  "tinyint(1)": { name: "boolean" },
  double: { name: "double" },
  date: { name: "date" },
  datetime: { name: "datetime", fsp: 0 },
  json: { name: "json" },
};

export const TYPE_NAMES = [
  "varchar(n)",
  "char(n)",
  "text",
  "mediumtext",
  "tinyint",
  "smallint",
  "int",
  "bigint",
  "boolean",
  "decimal(p,s)",
  "double",
  "date",
  "datetime(6)",
  "json",
  "enum('a','b')",
];

/** Enum members end up inside DDL string literals, so they are restricted to a safe alphabet. */
const ENUM_VALUE = /^[A-Za-z0-9_ .:/-]{1,64}$/;

/** Parses a column type as written in a spec; returns an error message instead of throwing. */
export function parseColumnType(text: string): ColumnType | { error: string } {
  const t = text.trim().toLowerCase().replace(/\s+/g, "");
  const simple = SIMPLE[t];
  if (simple) return simple;
  let m = /^(varchar|char)\((\d+)\)$/.exec(t);
  if (m) {
    const length = Number(m[2]);
    const max = m[1] === "char" ? 255 : 16383;
    if (length < 1 || length > max) return { error: `${m[1]} length must be 1..${max}, got ${length}` };
    return { name: m[1] as "varchar" | "char", length };
  }
  m = /^decimal\((\d+)(?:,(\d+))?\)$/.exec(t);
  if (m) {
    const precision = Number(m[1]);
    const scale = Number(m[2] ?? 0);
    if (precision < 1 || precision > 65 || scale > 30 || scale > precision) {
      return {
        error: `decimal(${precision},${scale}) is out of range: precision 1..65, scale 0..30 and <= precision`,
      };
    }
    return { name: "decimal", precision, scale };
  }
  m = /^datetime\((\d)\)$/.exec(t);
  if (m) {
    const fsp = Number(m[1]);
    if (fsp > 6) return { error: `datetime precision must be 0..6, got ${fsp}` };
    return { name: "datetime", fsp };
  }
  m = /^enum\((.*)\)$/.exec(text.trim().replace(/^enum/i, "enum"));
  if (m) {
    const values: string[] = [];
    const re = /\s*'([^']*)'\s*(,|$)/y;
    let rest = m[1] ?? "";
    while (rest.length > 0) {
      re.lastIndex = 0;
      const v = re.exec(rest);
      if (!v) return { error: `enum values must be quoted like enum('a','b'), got ${text}` };
      const value = v[1] ?? "";
      if (!ENUM_VALUE.test(value)) {
        return { error: `enum value '${value}' may only use letters, digits, space and _ . : / -` };
      }
      values.push(value);
      rest = rest.slice(re.lastIndex);
    }
    if (values.length === 0) return { error: "enum needs at least one value" };
    return { name: "enum", values };
  }
  return { error: `unknown column type "${text}"` };
}
