import type { Action, Emit } from "./action.js";
import type { Rng } from "./rng.js";

/**
 * Chooses the next action: weighted random among the actions that are possible right now.
 *
 * Done by rejection, which has the same distribution as weighing only the possible actions but
 * usually checks one predicate instead of 44: draw from all weights; when the drawn action is not
 * possible (or finds no suitable entity), drop it for this step and draw again.
 */
export class Chooser {
  private readonly weights: Float64Array;
  private readonly fullTotal: number;

  constructor(
    private readonly actions: readonly Action[],
    private readonly rng: Rng,
  ) {
    this.weights = Float64Array.from(actions, (a) => a.weight);
    this.fullTotal = this.weights.reduce((sum, x) => sum + x, 0);
  }

  /** Run the chosen action; its event type and payload. Throws if nothing at all is possible. */
  next(): { type: string; emit: Emit } {
    const { actions, weights } = this;
    let total = this.fullTotal;
    let dropped = false;
    try {
      while (total > 1e-9) {
        const i = this.draw(total);
        const action = actions[i]!;
        const emit = action.possible() ? action.run() : null;
        if (emit) return { type: action.type, emit };
        total -= weights[i]!;
        weights[i] = 0;
        dropped = true;
      }
    } finally {
      if (dropped) for (let i = 0; i < actions.length; i++) weights[i] = actions[i]!.weight;
    }
    throw new Error("no possible action (user.created should always be possible)");
  }

  /** The index of a weighted-random action among those not dropped (weights sum to `total`). */
  private draw(total: number): number {
    let r = this.rng.float() * total;
    let chosen = -1;
    for (let i = 0; i < this.weights.length; i++) {
      const weight = this.weights[i]!;
      if (weight === 0) continue;
      chosen = i; // the last remaining action also absorbs floating-point leftovers
      if (r < weight) break;
      r -= weight;
    }
    return chosen;
  }
}
