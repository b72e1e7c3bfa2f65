import { defaultPartitions, emitEvents } from "../../jobs/emit.js";
import { bytesOption, intOption } from "../errors.js";

/** `projector emit <file|->`: publish events, envelope added where missing; reports events/s. */
export async function emitCommand(
  input: string,
  opts: { brokers?: string; partitions?: string; batchSize: string; maxRecordBytes: string },
): Promise<number> {
  const partitions = intOption("--partitions", opts.partitions ?? defaultPartitions(opts.brokers), 1);
  const batchSize = intOption("--batch-size", opts.batchSize, 1);
  const maxRecordBytes = bytesOption("--max-record-bytes", opts.maxRecordBytes, 1024);
  const result = await emitEvents({
    input,
    ...(opts.brokers ? { brokers: opts.brokers } : {}),
    partitions,
    batchSize,
    maxRecordBytes,
  });
  const rate = Math.round(result.sent / Math.max(result.seconds, 1e-9));
  process.stdout.write(
    `emitted ${result.sent} events to ${result.topics.join(", ") || "no topics"} in ${result.seconds.toFixed(2)} s (${rate} events/s)${result.rejected ? `; ${result.rejected} lines refused` : ""}\n`,
  );
  return result.rejected > 0 ? 1 : 0;
}
