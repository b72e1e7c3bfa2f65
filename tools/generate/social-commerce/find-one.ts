/**
 * Bounded rejection sampling over the registries: a few random picks instead of a scan, because a
 * matching entity is usually common and a miss only means the action is skipped this step.
 */

/** Up to `tries` random draws until one satisfies `ok`: cheap when most candidates qualify. */
export function findOne<T>(
  draw: () => T | undefined,
  ok: (candidate: T) => boolean,
  tries = 6,
): T | undefined {
  for (let i = 0; i < tries; i++) {
    const c = draw();
    if (c !== undefined && ok(c)) return c;
  }
  return undefined;
}
