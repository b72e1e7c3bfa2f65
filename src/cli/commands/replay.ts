import { DEFER_INDEXES } from "../../jobs/bulk-load.js";
import { mysqlUrl } from "../../jobs/database.js";
import { loadCompiled } from "../../jobs/load-specs.js";
import { replay } from "../../jobs/replay.js";
import { bytesOption, choiceOption, intOption } from "../errors.js";
import { printSummary } from "../summary.js";

export interface ReplayOptions {
  mysqlUrl?: string;
  batchSize: string;
  lingerMs: string;
  maxRecordBytes: string;
  deadLetterUnknown?: boolean;
  maxRetries: string;
  /** False with --no-lookahead. */
  lookahead?: boolean;
  json?: boolean;
  /** Write tables whose rows follow older specs (no refusal). */
  allowSpecDrift?: boolean;
  deferIndexes: string;
}

/** `projector replay <file|->`: the runtime of `run`, fed from JSONL instead of Kafka. */
export async function replayCommand(dir: string, input: string, opts: ReplayOptions): Promise<number> {
  const compiled = loadCompiled(dir);
  const batchSize = intOption("--batch-size", opts.batchSize, 1);
  const lingerMs = intOption("--linger-ms", opts.lingerMs, 0);
  const maxRecordBytes = bytesOption("--max-record-bytes", opts.maxRecordBytes, 1024);
  const maxRetries = intOption("--max-retries", opts.maxRetries, 0);
  const deferIndexes = choiceOption("--defer-indexes", opts.deferIndexes, DEFER_INDEXES);
  const tty = process.stderr.isTTY;
  let lastProgress = 0;
  const stats = await replay(compiled, {
    mysqlUrl: mysqlUrl(opts.mysqlUrl),
    input,
    batchSize,
    lingerMs,
    maxRecordBytes,
    maxRetries,
    deadLetterUnknown: opts.deadLetterUnknown ?? false,
    lookahead: opts.lookahead !== false,
    allowSpecDrift: opts.allowSpecDrift ?? false,
    deferIndexes,
    afterBatch: (s) => {
      if (!tty || performance.now() - lastProgress <= 500) return;
      lastProgress = performance.now();
      const p = s.summary();
      process.stderr.write(
        `\r${p.read} read, ${p.applied} applied, ${p.stale} stale, ${p.dead_lettered} dead-lettered — ${p.events_per_second} events/s   `,
      );
    },
  });
  if (tty) process.stderr.write("\n");
  printSummary(stats.summary(), opts.json ?? false);
  return 0;
}
