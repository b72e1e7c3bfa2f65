import { didYouMean, issue, type SpecIssue } from "./issues.js";
import type { ActionSpec, ConditionSpec, SourcePos } from "./types.js";

/** `event: { same_as: other }`: its actions are the other event type's, resolved once all files are read. */
export interface SameAs {
  readonly eventType: string;
  readonly target: string;
  readonly pos: SourcePos;
  readonly when: ConditionSpec | undefined;
}

/** Gives every `same_as` event type the actions (and its own `when`) of the type it names. */
export function resolveSameAs(
  pending: readonly SameAs[],
  events: Map<string, ActionSpec[]>,
  conditions: Map<string, ConditionSpec>,
  issues: SpecIssue[],
): void {
  const byType = new Map(pending.map((p) => [p.eventType, p]));
  const resolve = (p: SameAs, chain: string[]): ActionSpec[] | undefined => {
    if (chain.includes(p.target)) {
      issues.push(
        issue(
          p.pos,
          `same_as of ${p.eventType} loops: ${[...chain, p.target].join(" → ")}`,
          "point same_as at an event type with actions",
        ),
      );
      return undefined;
    }
    const next = byType.get(p.target);
    if (next && !events.get(p.target)?.length) return resolve(next, [...chain, p.target]);
    const actions = events.get(p.target);
    if (!actions?.length) {
      issues.push(
        issue(
          p.pos,
          `same_as of ${p.eventType}: event type ${p.target} has no actions`,
          didYouMean(p.target, events.keys()) ?? "name an event type declared under events:",
        ),
      );
      return undefined;
    }
    return actions;
  };
  for (const p of pending) {
    const actions = resolve(p, [p.eventType]);
    if (!actions) continue;
    // The same actions, as this event type's own (with the reused block's positions, for messages).
    events.set(
      p.eventType,
      actions.map((a, index) => ({ ...a, eventType: p.eventType, index })),
    );
    if (p.when) conditions.set(p.eventType, p.when);
  }
}
