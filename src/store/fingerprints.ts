import { FINGERPRINTS } from "../compile/engine-tables.js";
import { type Dialect, onDuplicate, quoteId } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";

/**
 * The statements of projector_fingerprints (its DDL: compile/engine-tables.ts): per projected table,
 * the version of the specs its rows were built with (compile/fingerprint.ts). Pure: `{sql, params}`
 * with every value a parameter.
 */

/** The recorded version of every table: `table_name, fingerprint, version`. */
export function selectFingerprintsStatement(): Statement {
  return { sql: `SELECT table_name, fingerprint, version FROM ${quoteId(FINGERPRINTS)}`, params: [] };
}

/** Records the versions tables are built with (replacing what was recorded). */
export function saveFingerprintsStatement(
  rows: readonly { table: string; fingerprint: string; json: string }[],
  dialect: Dialect,
): Statement {
  const { clause, incoming } = onDuplicate(dialect, quoteId(FINGERPRINTS));
  return {
    sql: `INSERT INTO ${quoteId(FINGERPRINTS)} (table_name, fingerprint, version, recorded_at) VALUES ${rows
      .map(() => "(?,?,?,UTC_TIMESTAMP(6))")
      .join(
        ",",
      )}${clause}fingerprint = ${incoming("fingerprint")}, version = ${incoming("version")}, recorded_at = ${incoming("recorded_at")}`,
    params: rows.flatMap((r) => [r.table, r.fingerprint, r.json]),
  };
}
