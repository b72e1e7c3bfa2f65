import { emit } from "../../emit/emitter.js";
import { createKafka, kafkaSettings } from "../../source/kafka/config.js";
import { intOption, UserError } from "../errors.js";

/** `projector emit <file|->`: publish events, envelope added where missing; reports events/s. */
export async function emitCommand(
  input: string,
  opts: { brokers?: string; partitions?: string; batchSize: string },
): Promise<number> {
  const settings = kafkaSettings(opts.brokers ? { brokers: opts.brokers } : {});
  const partitions = intOption("--partitions", opts.partitions ?? settings.partitions, 1);
  const batchSize = intOption("--batch-size", opts.batchSize, 1);
  let result: Awaited<ReturnType<typeof emit>>;
  try {
    result = await emit(createKafka(settings), input, {
      partitions,
      batchSize,
      topicPrefix: settings.topicPrefix,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new UserError(`cannot read ${input}: no such file`);
    const name = (e as Error).name;
    if (/KafkaJS(Connection|NumberOfRetriesExceeded|BrokerNotFound)/.test(name)) {
      throw new UserError(
        `cannot reach Kafka at ${settings.brokers.join(",")}: ${(e as Error).message} (set KAFKA_BROKERS)`,
        2,
      );
    }
    throw e;
  }
  const rate = Math.round(result.sent / Math.max(result.seconds, 1e-9));
  process.stdout.write(
    `emitted ${result.sent} events to ${result.topics.join(", ") || "no topics"} in ${result.seconds.toFixed(2)} s (${rate} events/s)${result.rejected ? `; ${result.rejected} lines refused` : ""}\n`,
  );
  return result.rejected > 0 ? 1 : 0;
}
