import type { Dialect } from "../compile/sql.js";
import type { Statement } from "../compile/statements.js";

/** Result rows of one statement: column name → value. */
export type Row = Record<string, unknown>;

/** What the runtime needs of a database inside a batch's transaction. */
export interface Transaction {
  /** Runs the SELECTs in one round trip; the rows of each, in order. */
  select(statements: readonly Statement[]): Promise<Row[][]>;
  /**
   * Runs the statements, several per round trip; `whileWaiting` runs once, when the first is sent.
   * The SELECTs of `lead` go first, in the first round trip: the rows of each, in order.
   */
  execute(
    statements: readonly Statement[],
    whileWaiting?: () => void,
    lead?: readonly Statement[],
  ): Promise<Row[][]>;
}

/**
 * The database as the runtime sees it; sink/mysql-sink.ts implements it. Failures are
 * DatabaseErrors (core/database-error.ts), whose `transient` flag decides a retry.
 */
export interface Database {
  /** The most bytes one statement, or one round trip of several, may take (under max_allowed_packet). */
  readonly statementBytes: number;
  /** The server's max_allowed_packet, for messages. */
  readonly maxAllowedPacket: number;
  /** The server's SQL dialect: the statements' forms follow it. */
  readonly dialect: Dialect;
  /** The warnings the server raised for the writes so far. */
  readonly warnings: number;
  /** Runs `fn` in one transaction: all of it is committed, or none of it. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** SELECTs outside the batches' transactions (as committed), in one round trip. */
  select(statements: readonly Statement[]): Promise<Row[][]>;
  /** One statement outside the batches' transactions (autocommit). */
  query<T = Row[]>(sql: string, params?: unknown[]): Promise<T>;
}
