import { DEFER_INDEXES } from "../../jobs/bulk-load.js";
import { mysqlUrl } from "../../jobs/database.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { run } from "../../jobs/run.js";
import { bytesOption, choiceOption, intOption } from "../errors.js";
import { printSummary } from "../summary.js";

export interface RunOptions {
  fromBeginning?: boolean;
  untilCaughtUp?: boolean;
  metricsPort?: string;
  metricsHost?: string;
  batchSize: string;
  maxRecordBytes: string;
  mysqlUrl?: string;
  brokers?: string;
  group?: string;
  deadLetterUnknown?: boolean;
  /** False with --no-lookahead. */
  lookahead?: boolean;
  json?: boolean;
  /** Write tables whose rows follow older specs (no refusal). */
  allowSpecDrift?: boolean;
  deferIndexes: string;
}

/** `projector run`: consume Kafka and project into MySQL until stopped, or until caught up. */
export async function runCommand(dir: string, opts: RunOptions): Promise<number> {
  const batchSize = intOption("--batch-size", opts.batchSize, 1);
  const maxRecordBytes = bytesOption("--max-record-bytes", opts.maxRecordBytes, 1024);
  const metricsPort =
    opts.metricsPort === undefined ? undefined : intOption("--metrics-port", opts.metricsPort, 0, 65535);
  const deferIndexes = choiceOption("--defer-indexes", opts.deferIndexes, DEFER_INDEXES);
  const compiled = loadCompiled(dir);
  const { code, stats } = await run(compiled, {
    mysqlUrl: mysqlUrl(opts.mysqlUrl),
    ...(opts.brokers ? { brokers: opts.brokers } : {}),
    ...(opts.group ? { group: opts.group } : {}),
    fromBeginning: opts.fromBeginning ?? false,
    untilCaughtUp: opts.untilCaughtUp ?? false,
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    ...(opts.metricsHost !== undefined ? { metricsHost: opts.metricsHost } : {}),
    batchSize,
    maxRecordBytes,
    deadLetterUnknown: opts.deadLetterUnknown ?? false,
    lookahead: opts.lookahead !== false,
    allowSpecDrift: opts.allowSpecDrift ?? false,
    deferIndexes,
  });
  if (opts.untilCaughtUp || opts.json) printSummary(stats.summary(), opts.json ?? false);
  return code;
}
