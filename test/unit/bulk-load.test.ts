import { describe, expect, it } from "vitest";
import {
  addIndexesSql,
  deferrableIndexes,
  dropIndexesSql,
  emptyTablesStatement,
} from "../../src/compile/bulk-load.js";
import { BULK_LOAD_BYTES, BULK_LOAD_EVENTS, isBulkLoad } from "../../src/jobs/bulk-load.js";
import { compileSpecText } from "../helpers/specs.js";

const spec = compileSpecText(`
tables:
  p:
    primary_key: [id]
    unique: [[email]]
    indexes: [[name], [name, email]]
    columns:
      id: { type: varchar(8) }
      email: { type: varchar(20) }
      name: { type: varchar(20), nullable: true }
  c:
    parent: { table: p, columns: [id] }
    primary_key: [id, cid]
    indexes: [[id, qty], [qty]]
    columns:
      id: { type: varchar(8) }
      cid: { type: varchar(8) }
      qty: { type: int, nullable: true }
events:
  p.created:
    - upsert: p
      columns: { id: $.entity_id, email: $.data.email, name: $.data.name }
  c.added:
    - upsert: c
      columns: { id: $.entity_id, cid: $.data.cid, qty: $.data.qty }
`);

describe("bulk load: which indexes wait for the end of a load", () => {
  it("defers the plain indexes, never the unique keys or an index leading with the parent key", () => {
    const names = (t: string) => deferrableIndexes(spec.tableByName.get(t)!.spec).map((i) => i.columns);
    expect(names("p")).toEqual([["name"], ["name", "email"]]);
    expect(names("c")).toEqual([["qty"]]); // [id, qty] serves the replace's DELETE and the foreign key
  });

  it("drops and adds them in one ALTER TABLE per table, identifiers quoted", () => {
    const p = deferrableIndexes(spec.tableByName.get("p")!.spec);
    expect(dropIndexesSql("p", p)).toBe(
      `ALTER TABLE \`p\` DROP INDEX \`${p[0]!.name}\`, DROP INDEX \`${p[1]!.name}\``,
    );
    expect(addIndexesSql("p", p)).toBe(
      `ALTER TABLE \`p\` ADD KEY \`${p[0]!.name}\` (\`name\`), ADD KEY \`${p[1]!.name}\` (\`name\`, \`email\`)`,
    );
    expect(() => addIndexesSql("we`ird", p)).toThrow(/unsafe SQL identifier/);
  });

  it("asks which tables are empty in one statement", () => {
    expect(emptyTablesStatement(["a", "b"]).sql).toBe(
      "SELECT (SELECT COUNT(*) = 0 FROM (SELECT 1 FROM `a` LIMIT 1) AS x0) AS e0, (SELECT COUNT(*) = 0 FROM (SELECT 1 FROM `b` LIMIT 1) AS x1) AS e1",
    );
  });

  it("auto: a file of 32 MiB or more, or 50,000 events behind; always and never whatever the size", () => {
    expect(isBulkLoad("auto", { bytes: BULK_LOAD_BYTES })).toBe(true);
    expect(isBulkLoad("auto", { bytes: BULK_LOAD_BYTES - 1 })).toBe(false);
    expect(isBulkLoad("auto", { events: BULK_LOAD_EVENTS })).toBe(true);
    expect(isBulkLoad("auto", { events: BULK_LOAD_EVENTS - 1 })).toBe(false);
    expect(isBulkLoad("always", { events: 0 })).toBe(true);
    expect(isBulkLoad("never", { bytes: 1 << 40 })).toBe(false);
  });
});
