import type { TableSpec } from "../specs/types.js";

/** MySQL's limit on a row's size, counting text and blob columns by their pointer only. */
export const MAX_ROW_BYTES = 65_535;

/** The most bytes a row can take by MySQL's CREATE TABLE check (utf8mb4: 4 bytes a character). */
export function rowBytes(table: TableSpec): number {
  let total = 0;
  let nullable = 0;
  for (const col of table.columns.values()) {
    if (col.nullable) nullable++;
    const t = col.type;
    switch (t.name) {
      case "varchar":
        total += 4 * t.length + (4 * t.length > 255 ? 2 : 1);
        break;
      case "char":
        total += 4 * t.length;
        break;
      case "binary":
        total += t.length;
        break;
      case "longblob":
        total += 12;
        break;
      case "text":
        total += 10;
        break;
      case "mediumtext":
        total += 11;
        break;
      case "json": // longtext in MariaDB
        total += 12;
        break;
      case "decimal": {
        // 4 bytes per 9 digits, on each side of the point, and fewer for the rest.
        const part = (digits: number) =>
          Math.floor(digits / 9) * 4 + [0, 1, 1, 2, 2, 3, 3, 4, 4][digits % 9]!;
        total += part(t.precision - t.scale) + part(t.scale);
        break;
      }
      case "bigint":
      case "double":
      case "datetime":
        total += 8;
        break;
      case "int":
        total += 4;
        break;
      case "date":
        total += 3;
        break;
      case "smallint":
      case "enum":
        total += 2;
        break;
      default:
        total += 1;
    }
  }
  return total + Math.ceil(nullable / 8);
}
