import type { Connection } from "mysql2/promise";
import type { CompiledSpec } from "../../../src/compile/compile.js";
import type { Children } from "./children.js";
import { messageOf } from "./log.js";
import { connect, q, select, urlFor } from "./mysql.js";
import { projector } from "./projector-cli.js";

/** A stage's fresh database. */
export interface FreshDb {
  readonly db: string;
  /** The server's URL with this database (credentials kept: pass it on, never print it). */
  readonly url: string;
}

/**
 * The bench's databases (`pbench_<stage>`) on one server, through one admin connection without a
 * database; dropped by `dropAll` at the end of the run.
 */
export class Databases {
  readonly #created = new Set<string>();
  #admin: Connection | undefined;

  constructor(
    /** The server's URL (its database part is ignored). */
    readonly serverUrl: string,
    readonly children: Children,
  ) {}

  /** The admin connection (opened on first use). */
  async admin(): Promise<Connection> {
    this.#admin ??= await connect(this.serverUrl, false);
    return this.#admin;
  }

  /**
   * Drops and creates `pbench_<stage>`; with `migrate` (the default) creates the schema with
   * `projector migrate`, as a user would, of `projections` (default: the CLI's, projections/).
   */
  async fresh(
    stage: string,
    { migrate = true, projections }: { migrate?: boolean; projections?: string } = {},
  ): Promise<FreshDb> {
    const db = `pbench_${stage}`;
    const admin = await this.admin();
    await admin.query(`DROP DATABASE IF EXISTS ${q(db)}`);
    await admin.query(`CREATE DATABASE ${q(db)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    this.#created.add(db);
    const url = urlFor(this.serverUrl, db);
    if (migrate)
      await projector(this.children, ["migrate", ...(projections ? ["--projections", projections] : [])], {
        env: { MYSQL_URL: url },
        log: `${stage}-migrate`,
      });
    return { db, url };
  }

  /** Rows per table of the plan in database `db`. */
  async tableCounts(db: string, plan: CompiledSpec): Promise<Record<string, number>> {
    const admin = await this.admin();
    const out: Record<string, number> = {};
    for (const t of plan.tables) {
      const [row] = await select<{ n: number | string }>(
        admin,
        `SELECT COUNT(*) AS n FROM ${q(db)}.${q(t.name)}`,
      );
      out[t.name] = Number(row?.n);
    }
    return out;
  }

  /** Drops every database this run created (a failure is reported, not thrown) and closes the connection. */
  async dropAll(report: (msg: string) => void): Promise<void> {
    const dbs = [...this.#created];
    this.#created.clear();
    try {
      const admin = await this.admin();
      for (const db of dbs) await admin.query(`DROP DATABASE IF EXISTS ${q(db)}`);
    } catch (e) {
      report(`could not drop ${dbs.join(", ")}: ${messageOf(e)}`);
    }
    await this.#admin?.end().catch(() => undefined);
    this.#admin = undefined;
  }
}
