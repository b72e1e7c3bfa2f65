import { UserError } from "../core/user-error.js";
import { type EmitResult, emit } from "../emit/emitter.js";
import { createKafka, kafkaSettings } from "../source/kafka/config.js";
import { kafkaUserError } from "./kafka-errors.js";

export interface EmitJob {
  /** A JSONL file, or `-` for stdin. */
  readonly input: string;
  readonly brokers?: string;
  /** Partitions of the topics it creates (default: KAFKA_PARTITIONS). */
  readonly partitions?: number;
  readonly batchSize: number;
  readonly maxRecordBytes: number;
}

/** The partitions emit creates topics with when the flag says nothing. */
export function defaultPartitions(brokers?: string): number {
  return kafkaSettings(brokers ? { brokers } : {}).partitions;
}

/** Emit: publishes the events of a file to their topics, envelope added where missing. */
export async function emitEvents(job: EmitJob): Promise<EmitResult> {
  const settings = kafkaSettings(job.brokers ? { brokers: job.brokers } : {});
  try {
    return await emit(createKafka(settings), job.input, {
      partitions: job.partitions ?? settings.partitions,
      batchSize: job.batchSize,
      maxRecordBytes: job.maxRecordBytes,
      topicPrefix: settings.topicPrefix,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw new UserError(`cannot read ${job.input}: no such file`);
    throw kafkaUserError(e, settings.brokers) ?? e;
  }
}
