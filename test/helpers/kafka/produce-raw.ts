// Raw Kafka access: messages `emit` would never produce, to explicit partitions.
import { Kafka, logLevel } from "kafkajs";

export interface Produced {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Produces each message to its explicit partition, in order; returns where each landed. */
export async function produceRaw(
  brokers: string,
  messages: { topic: string; partition: number; key?: string; value: Buffer | string }[],
): Promise<Produced[]> {
  const kafka = new Kafka({ clientId: "projector-test-raw", brokers: [brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const out: Produced[] = [];
    for (const m of messages) {
      const [meta] = await producer.send({
        topic: m.topic,
        acks: -1,
        messages: [{ partition: m.partition, key: m.key ?? null, value: m.value }],
      });
      out.push({ topic: m.topic, partition: m.partition, offset: meta!.baseOffset! });
    }
    return out;
  } finally {
    await producer.disconnect();
  }
}
