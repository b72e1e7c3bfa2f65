import type { DatabaseError } from "../core/database-error.js";
import { letterFor } from "./dead-letters.js";
import type { Prepared } from "./prepare.js";

/**
 * A batch MySQL refused for its data: split it in halves, each applied on its own, until the event
 * that fails is alone; that one is dead-lettered with MySQL's reason, and the good events of the
 * batch are applied. A batch of only dead letters and skips that MySQL refuses is not the data's
 * fault: the error goes on to the caller.
 */
export async function isolate(
  prepared: readonly Prepared[],
  err: DatabaseError,
  apply: (prepared: readonly Prepared[]) => Promise<void>,
): Promise<void> {
  const live = prepared.filter((p) => p.kind === "event");
  if (prepared.length === 1 || live.length <= 1) {
    if (live.length === 0) throw err;
    const reason = `rejected by MySQL: ${err.message.replace(/^MySQL [^:]+:\/\/[^ ]+: /, "")}`;
    await apply(
      prepared.map(
        (p): Prepared =>
          p.kind === "event"
            ? {
                kind: "dead",
                record: p.record,
                eventType: p.eventType,
                letter: letterFor(p.record, reason, p.eventId, p.eventType),
              }
            : p,
      ),
    );
    return;
  }
  const mid = Math.ceil(prepared.length / 2);
  await apply(prepared.slice(0, mid));
  await apply(prepared.slice(mid));
}
