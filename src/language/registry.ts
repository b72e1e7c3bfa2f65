import { readdirSync } from "node:fs";
import type { TransformDef } from "./transform.js";

/**
 * The transforms: every file of ./transforms/ is one (its default export), found when this module
 * loads. Adding a transform is adding its file: the loader's checks, the JSON Schema's branches,
 * the static types, the evaluation and the docs' table all come from here.
 */
const dir = new URL("./transforms/", import.meta.url);
const files = readdirSync(dir)
  .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith(".d.ts"))
  .sort();
const found: TransformDef[] = [];
for (const f of files)
  found.push(((await import(new URL(f, dir).href)) as { default: TransformDef }).default);

/** Every transform, by name. */
export const TRANSFORMS: ReadonlyMap<string, TransformDef> = new Map(found.map((t) => [t.name, t]));

/** A transform by its name, or undefined. */
export function transformNamed(name: string): TransformDef | undefined {
  return TRANSFORMS.get(name);
}
