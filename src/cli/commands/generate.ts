// The synthetic stream is domain-specific demo data, so it lives in tools/, not in the domain-free src/.
import { generateEvents } from "../../../tools/generate/social-commerce.js";
import { writeJsonl } from "../../../tools/generate/write-jsonl.js";
import { UserError } from "../../core/user-error.js";

/** `projector generate --count N [--seed S]`: a deterministic Social Commerce stream as JSONL on stdout. */
export async function generateCommand(opts: {
  count: string;
  seed: string;
  start?: string;
}): Promise<number> {
  const count = Number(opts.count);
  const seed = Number(opts.seed);
  if (!Number.isInteger(count) || count < 0) throw new UserError("--count must be a non-negative integer");
  if (!Number.isInteger(seed)) throw new UserError("--seed must be an integer");
  if (opts.start !== undefined && Number.isNaN(Date.parse(opts.start)))
    throw new UserError(
      `--start must be an ISO-8601 timestamp such as 2025-01-01T00:00:00Z, got ${opts.start}`,
    );
  await writeJsonl(
    generateEvents({ count, seed, ...(opts.start ? { start: opts.start } : {}) }),
    process.stdout,
  );
  return 0;
}
