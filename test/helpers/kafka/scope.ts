// What one test file creates (databases, cluster slices, CLI processes), cleaned up after its tests.
import { afterAll } from "vitest";
import { createTestDb, type TestDb } from "../db.js";
import { cleanupKafka, type KafkaCtx, kafkaCtx } from "./context.js";
import { type Proc, spawnProjector } from "./processes.js";

/**
 * What one test file creates, cleaned up once all its tests are done: its databases are dropped, its
 * processes killed (a stopped one is continued first), its topics and consumer groups deleted.
 */
export interface TestScope {
  /** A new database, dropped at the end. */
  db(): Promise<TestDb>;
  /** Drops `db` at the end too (one made elsewhere, e.g. by replayReference). */
  keep<T extends TestDb>(db: T): T;
  /** A new database with its own slice of the cluster (topics of `partitions`), and their environment. */
  kafka(partitions: number): Promise<{ db: TestDb; ctx: KafkaCtx; env: Record<string, string> }>;
  /** spawnProjector, killed at the end if it still runs. */
  spawn(args: string[], env: Record<string, string>, options?: { logs?: boolean }): Proc;
}

/** Call once at the top of a test file. */
export function testScope(): TestScope {
  const dbs: TestDb[] = [];
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs) {
      p.kill("SIGCONT");
      p.kill("SIGKILL");
    }
    await cleanupKafka();
    for (const db of dbs) await db.drop().catch(() => undefined);
  });
  return {
    async db() {
      const db = await createTestDb();
      dbs.push(db);
      return db;
    },
    async kafka(partitions) {
      const db = await this.db();
      const ctx = kafkaCtx();
      return { db, ctx, env: ctx.env(db, partitions) };
    },
    keep(db) {
      dbs.push(db);
      return db;
    },
    spawn(args, env, options) {
      const p = spawnProjector(args, env, options);
      procs.push(p);
      return p;
    },
  };
}
