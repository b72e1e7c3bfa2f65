/** What `within` returns when the time ran out. */
export const TIMEOUT = Symbol("timeout");

/** `p`, or TIMEOUT after `ms` (kafkajs never returns from some calls while a broker is unreachable). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<typeof TIMEOUT>((r) => (timer = setTimeout(() => r(TIMEOUT), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
