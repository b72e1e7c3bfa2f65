import { META } from "../compile/engine-tables.js";
import { type Dialect, forShare, quoteId } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";

/**
 * The statements of projector_meta (its DDL: compile/engine-tables.ts) the engine runs: the retry
 * epoch and the specs generation. (What migrate records there, the dialect and key collation, is
 * read and written by compile/migration.ts.) Pure: `{sql, params}` with every value a parameter.
 */

/** projector_meta's counter of retry transactions: a plan made before one is planned again. */
export const RETRY_EPOCH = "retry_epoch";

/** Counts one more retry transaction (in it). */
export function bumpRetryEpochStatement(): Statement {
  return {
    sql: `INSERT INTO ${quoteId(META)} (name, value) VALUES (?, '1') ON DUPLICATE KEY UPDATE value = CAST(CAST(value AS UNSIGNED) + 1 AS CHAR)`,
    params: [RETRY_EPOCH],
  };
}

/** The retry epoch: `value` (no row before the first retry). */
export function selectRetryEpochStatement(): Statement {
  return { sql: `SELECT value FROM ${quoteId(META)} WHERE name = ?`, params: [RETRY_EPOCH] };
}

/**
 * projector_meta's specs generation: moved by a rebuild's swap. A run's batch reads it under a
 * shared lock (the swap holds it exclusively meanwhile) and stops when it moved since the run began.
 */
export const SPECS_GENERATION = "specs_generation";

/** Makes sure the generation row exists (a lock on a missing row would fence nothing). */
export function ensureGenerationStatement(): Statement {
  return {
    sql: `INSERT INTO ${quoteId(META)} (name, value) VALUES (?, '0') ON DUPLICATE KEY UPDATE name = name`,
    params: [SPECS_GENERATION],
  };
}

/** The generation under a shared lock (a run's batch) or an exclusive one (a swap): `value`. */
export function lockGenerationStatement(mode: "shared" | "exclusive", dialect: Dialect): Statement {
  return {
    sql: `SELECT value FROM ${quoteId(META)} WHERE name = ? ${mode === "shared" ? forShare(dialect) : "FOR UPDATE"}`,
    params: [SPECS_GENERATION],
  };
}

/** The generation as committed: `value`. */
export function selectGenerationStatement(): Statement {
  return { sql: `SELECT value FROM ${quoteId(META)} WHERE name = ?`, params: [SPECS_GENERATION] };
}

/** Moves the generation on (in the swap's transaction). */
export function bumpGenerationStatement(): Statement {
  return {
    sql: `UPDATE ${quoteId(META)} SET value = CAST(CAST(value AS UNSIGNED) + 1 AS CHAR) WHERE name = ?`,
    params: [SPECS_GENERATION],
  };
}
