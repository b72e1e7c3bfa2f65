import { UserError } from "../../core/user-error.js";
import { emit } from "../../emit/emitter.js";
import { kafkaUserError } from "../../jobs/kafka-errors.js";
import { createKafka, kafkaSettings } from "../../source/kafka/config.js";
import { bytesOption, intOption } from "../errors.js";

/** `projector emit <file|->`: publish events, envelope added where missing; reports events/s. */
export async function emitCommand(
  input: string,
  opts: { brokers?: string; partitions?: string; batchSize: string; maxRecordBytes: string },
): Promise<number> {
  const settings = kafkaSettings(opts.brokers ? { brokers: opts.brokers } : {});
  const partitions = intOption("--partitions", opts.partitions ?? settings.partitions, 1);
  const batchSize = intOption("--batch-size", opts.batchSize, 1);
  const maxRecordBytes = bytesOption("--max-record-bytes", opts.maxRecordBytes, 1024);
  let result: Awaited<ReturnType<typeof emit>>;
  try {
    result = await emit(createKafka(settings), input, {
      partitions,
      batchSize,
      maxRecordBytes,
      topicPrefix: settings.topicPrefix,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new UserError(`cannot read ${input}: no such file`);
    throw kafkaUserError(e, settings.brokers) ?? e;
  }
  const rate = Math.round(result.sent / Math.max(result.seconds, 1e-9));
  process.stdout.write(
    `emitted ${result.sent} events to ${result.topics.join(", ") || "no topics"} in ${result.seconds.toFixed(2)} s (${rate} events/s)${result.rejected ? `; ${result.rejected} lines refused` : ""}\n`,
  );
  return result.rejected > 0 ? 1 : 0;
}
