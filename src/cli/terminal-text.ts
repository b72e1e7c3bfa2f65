/**
 * Text from events, specs or servers made safe to print on a terminal: every control character (C0,
 * DEL, C1) is shown as a visible escape (`\x1b`) instead of being sent, so an event type or a reason
 * cannot move the cursor, clear the screen, set the window title or hide a line. With `multiline`,
 * newlines and tabs are kept (output that is multi-line by design).
 */
export function printable(text: string, { multiline = false } = {}): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    multiline && (c === "\n" || c === "\t") ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** The columns `text` takes on a terminal (one per code point: the text here has no wide characters). */
export function columns(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** `text` cut to `width` columns, ending with … when cut. */
export function fit(text: string, width: number): string {
  if (columns(text) <= width) return text;
  if (width <= 0) return "";
  return `${[...text].slice(0, width - 1).join("")}…`;
}
