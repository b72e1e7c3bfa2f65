/** The columns `text` takes on a terminal (one per code point: the text here has no wide characters). */
export function columns(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** `text` cut to `width` columns, ending with … when cut. */
export function fitWidth(text: string, width: number): string {
  if (columns(text) <= width) return text;
  if (width <= 0) return "";
  return `${[...text].slice(0, width - 1).join("")}…`;
}
