/** A progress line on stderr (stdout carries the report). */
export function info(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
