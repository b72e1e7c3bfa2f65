import type { KafkaMessage } from "kafkajs";
import { OVERSIZE_HEAD_BYTES, type SourceRecord } from "../../core/source-record.js";

/** A fetched message as a source record: a tombstone flagged, an oversized value cut to its head. */
export function kafkaRecord(
  topic: string,
  partition: number,
  m: KafkaMessage,
  maxRecordBytes: number,
): SourceRecord {
  const value = m.value ?? Buffer.alloc(0);
  const over = value.length > maxRecordBytes;
  return {
    value: over ? Buffer.from(value.subarray(0, OVERSIZE_HEAD_BYTES)) : value,
    position: `partition ${partition} offset ${m.offset}`,
    source: topic,
    ...(over ? { oversize: { bytes: value.length, limit: maxRecordBytes } } : {}),
    kafka: {
      topic,
      partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: m.key ?? null,
      ...(m.value === null ? { tombstone: true } : {}),
    },
  };
}
