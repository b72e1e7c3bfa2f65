import type { CompiledSpec } from "../../../src/compile/compile.js";
import type { Children } from "./children.js";
import type { BenchConfig } from "./config.js";
import type { Databases } from "./databases.js";
import type { KafkaResources } from "./kafka.js";
import type { Quiesced } from "./quiesce.js";

/** Rows per table of the plan, as counted after a stage. */
export type TableCounts = Record<string, number>;

/** What every stage shares within one run. */
export interface StageContext {
  readonly config: BenchConfig;
  readonly runId: string;
  /** The compiled specs of projections/. */
  readonly plan: CompiledSpec;
  /** The generated stream (BENCH_EVENTS events), a JSONL file. */
  readonly stream: string;
  /** Per stage, the rows per table it left (`table_counts` in results.json; replay and kafka are compared). */
  readonly counts: Record<string, TableCounts>;
  readonly children: Children;
  readonly databases: Databases;
  readonly kafka: KafkaResources;
}

/**
 * A stage's figures (its entry in results.json's `stages`). The table shows events_per_second,
 * rows_per_second, max_rss_mb and notes; the ratios read figures by name.
 */
export interface StageFigures {
  readonly events_per_second?: number | undefined;
  readonly rows_per_second?: number | undefined;
  readonly max_rss_mb?: number | undefined;
  /** The table's last column. */
  readonly notes?: string;
  readonly [figure: string]: unknown;
}

/** A stage's entry in results.json. */
export type StageOutcome =
  | ({ readonly status: "ok"; readonly quiesced?: Quiesced } & StageFigures)
  | { readonly status: "error"; readonly error: string }
  | { readonly status: "skipped" };

/**
 * One benchmark stage. Adding a stage = a file under stages/ exporting one of these, and its line
 * in stages/registry.ts (the order there is the order of the run and of the table).
 */
export interface Stage {
  /** Its name in BENCH_ONLY, results.json and the logs. */
  readonly name: string;
  /** Its row label in the printed table. */
  readonly label: string;
  /** Whether to wait for InnoDB to settle before it (quiesce.ts); false for stages without a database. */
  readonly quiesce: boolean;
  /** Whether it is skipped although selected (e.g. the backlog with BENCH_BACKLOG=0). */
  readonly skip?: (config: BenchConfig) => boolean;
  /** Runs the stage in the bench's process (it may start children, see `work`). */
  readonly run: (ctx: StageContext) => Promise<StageFigures>;
  /**
   * An in-process stage's measured part, run by the worker child (worker.ts) with the arguments
   * `run` passed to runWorker (JSON), so that its peak RSS is its own. Returns JSON-able figures.
   */
  readonly work?: (args: never) => Promise<object> | object;
}
