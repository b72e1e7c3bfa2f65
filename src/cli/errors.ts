/** An error the user can fix (bad flag, unreachable server, missing file): printed without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "UserError";
  }
}

/** An integer flag value from `min` to `max`; anything else is a user error naming the flag. */
export function intOption(
  flag: string,
  raw: string | number | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = typeof raw === "number" ? raw : raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    const what =
      max !== Number.MAX_SAFE_INTEGER
        ? `an integer from ${min} to ${max}`
        : min === 1
          ? "a positive integer"
          : min === 0
            ? "a non-negative integer"
            : `an integer >= ${min}`;
    throw new UserError(`${flag} must be ${what}, got ${JSON.stringify(String(raw))}`);
  }
  return n;
}
