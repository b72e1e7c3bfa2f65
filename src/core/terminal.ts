/**
 * Text for a person's terminal. Data from events and specs (event types, reasons, payloads, file
 * names) may hold control characters: `ESC]0;…BEL` sets the window title, `ESC[2J` clears the
 * screen, a carriage return or C1 CSI rewrites what was printed. Printed, they are escaped:
 * C0, DEL and C1 as `\xNN`, and the bidirectional overrides and isolates (which reorder what a line
 * shows) as `\uNNNN`. Newlines and tabs stay only where the output is multi-line by design.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const ANY = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function escaped(ch: string): string {
  const c = ch.charCodeAt(0);
  return c < 0x100 ? `\\x${c.toString(16).padStart(2, "0")}` : `\\u${c.toString(16).padStart(4, "0")}`;
}

/**
 * `s` with its control characters escaped: every one of them on one line of output (`multiline`
 * false, the default), or all but newlines and tabs where the output is multi-line by design.
 */
export function forTerminal(s: string, multiline = false): string {
  if (!ANY.test(s)) return s;
  return s.replace(multiline ? CONTROL_BUT_LINES : CONTROL, escaped);
}

const JSON_UNSAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const JSON_UNSAFE_ANY = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * JSON text of `value` for stdout or stderr: exactly JSON.stringify's value (it parses back to the
 * same thing), with the characters it leaves raw that a terminal acts on (DEL, C1, bidi controls)
 * written as `\uNNNN` escapes too. (JSON.stringify escapes C0 itself.)
 */
export function jsonText(value: unknown): string {
  const text = JSON.stringify(value);
  return JSON_UNSAFE_ANY.test(text)
    ? text.replace(JSON_UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`)
    : text;
}
