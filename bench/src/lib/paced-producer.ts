import { setTimeout as sleep } from "node:timers/promises";
import type { Message, Producer } from "kafkajs";

/** One message for one topic. */
export interface Outgoing {
  readonly topic: string;
  readonly message: Message;
}

/** How a paced production went. */
export interface PacedResult {
  /** Messages the broker acknowledged. */
  readonly acked: number;
  readonly seconds: number;
  /** Produce requests sent. */
  readonly requests: number;
  /** Ticks that came more than one tick late (the producer fell behind the clock). */
  readonly lateTicks: number;
  /** The most messages one request carried. */
  readonly maxBatch: number;
  readonly maxRequestMs: number;
}

/** What to produce, how fast. */
export interface Pace {
  /** Messages per second. */
  readonly rate: number;
  readonly seconds: number;
  /** Messages created per tick (the tick is `perTick / rate` seconds). */
  readonly perTick: number;
  /** Creates the next message, stamped with its tick's moment (ms since the epoch, and as ISO-8601). */
  readonly next: (nowMs: number, nowIso: string) => Outgoing;
}

/**
 * Produces `rate × seconds` messages at a steady rate: every tick (10 ms at 2000/s with 20 per
 * tick) creates its messages stamped with that moment. They are sent as one batch (acks=-1); while a
 * send is in flight (one request at a time, as the idempotent producer wants), the next ticks'
 * messages queue up and go together in the following request: the rate holds even when a round trip
 * takes longer than a tick, and the queueing counts in the measured latency. Rejects on a send error.
 */
export async function producePaced(producer: Producer, pace: Pace): Promise<PacedResult> {
  const { rate, perTick } = pace;
  const tickMs = (1000 * perTick) / rate;
  const count = rate * pace.seconds;
  let sent = 0;
  let acked = 0;
  let requests = 0;
  let sendError: unknown;
  let lateTicks = 0;
  let maxBatch = 0;
  let maxRequestMs = 0;
  const queue: Outgoing[] = [];
  let inflight: Promise<void> | undefined;
  const pump = async () => {
    while (queue.length > 0 && !sendError) {
      const batch = queue.splice(0, queue.length);
      maxBatch = Math.max(maxBatch, batch.length);
      const byTopic = new Map<string, Message[]>();
      for (const { topic, message } of batch) {
        const list = byTopic.get(topic);
        if (list) list.push(message);
        else byTopic.set(topic, [message]);
      }
      try {
        const t0 = performance.now();
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        acked += batch.length;
        requests++;
        maxRequestMs = Math.max(maxRequestMs, performance.now() - t0);
      } catch (e) {
        sendError ??= e;
      }
    }
  };
  const started = performance.now();
  for (let k = 0; sent < count; k++) {
    const due = started + k * tickMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else if (wait < -tickMs) lateTicks++;
    if (sendError) throw sendError;
    const n = Math.min(perTick, count - sent);
    const nowMs = Date.now();
    const nowIso = new Date(nowMs).toISOString();
    for (let i = 0; i < n; i++) queue.push(pace.next(nowMs, nowIso));
    sent += n;
    inflight ??= pump().finally(() => {
      inflight = undefined;
    });
  }
  while (inflight) await inflight;
  await pump();
  if (sendError) throw sendError;
  const seconds = (performance.now() - started) / 1000;
  return { acked, seconds, requests, lateTicks, maxBatch, maxRequestMs };
}
