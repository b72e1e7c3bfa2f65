import { UserError } from "../core/user-error.js";

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

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1 << 20,
  mb: 1 << 20,
  mib: 1 << 20,
  g: 1 << 30,
  gb: 1 << 30,
  gib: 1 << 30,
};

/** A size flag: bytes, or with a unit (`512k`, `4mb`, `1GiB`; powers of 1024), at least `min` bytes. */
export function bytesOption(flag: string, raw: string | undefined, min: number): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw ?? "");
  const unit = UNITS[m?.[2]?.toLowerCase() ?? "?"];
  const n = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min)
    throw new UserError(
      `${flag} must be a size of at least ${min} bytes, like 4194304, 512k or 4mb, got ${JSON.stringify(String(raw))}`,
    );
  return n;
}

/** A flag that takes one of `choices`; anything else is a user error listing them. */
export function choiceOption<T extends string>(
  flag: string,
  raw: string | undefined,
  choices: readonly T[],
): T {
  const found = choices.find((c) => c === raw);
  if (found === undefined)
    throw new UserError(`${flag} must be one of ${choices.join(", ")}, got ${JSON.stringify(String(raw))}`);
  return found;
}
