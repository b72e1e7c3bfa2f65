import { TRANSFORMS } from "./registry.js";
import type { JsonSchema, TransformDef } from "./transform.js";

const KEEP_EXISTING: JsonSchema = {
  type: "boolean",
  description: "Upsert: write on insert, never overwrite. Update: set once, while the row's value is NULL.",
};
const VALUE: JsonSchema = { $ref: "#/definitions/value" };
/** How the value combines with the row's (src/specs/types.ts, Combine). */
export const COMBINE: JsonSchema = {
  enum: ["add", "subtract", "max", "min"],
  description:
    "Upsert, update: add or subtract the value (a counter, once per event), or keep the max or min of the row's and the value.",
};

/** A transform's branch of the value schema: its own key, its options, keep_existing. */
export function transformBranch(t: TransformDef): JsonSchema {
  const input = t.input;
  const own: JsonSchema =
    input.kind === "list"
      ? { type: "array", minItems: 1, items: VALUE }
      : input.kind === "unit"
        ? { enum: input.units }
        : input.kind === "many"
          ? {
              oneOf: [
                { type: "string", pattern: "^[$@]", description: "A path; every value it selects." },
                {
                  // Keys beyond these and a missing `of` are the loader's to say (with a hint).
                  type: "object",
                  required: ["each"],
                  description:
                    "The value `of` for every element the path `each` selects (@ reads the element).",
                  properties: {
                    each: { type: "string", pattern: "^[$@]" },
                    of: VALUE,
                  },
                },
              ],
            }
          : VALUE;
  return {
    type: "object",
    additionalProperties: false,
    required: [t.name],
    description: t.description,
    properties: {
      [t.name]: own,
      ...(input.kind === "unit" ? { [input.of]: VALUE } : {}),
      ...t.options,
      keep_existing: KEEP_EXISTING,
      combine: COMBINE,
    },
  };
}

/** The value schema's branches of the transforms, in `order`. */
export function transformBranches(order: readonly string[]): JsonSchema[] {
  return order.map((name) => transformBranch(TRANSFORMS.get(name)!));
}

/** The docs' table of transforms (docs/spec-language.md, "Transforms"), as Markdown. */
export function transformTable(): string {
  const rows = [...TRANSFORMS.values()]
    .filter((t) => t.doc !== undefined)
    .map((t) => [t.doc!.form, t.doc!.result] as const);
  const w0 = Math.max("transform".length, ...rows.map((r) => r[0].length));
  const w1 = Math.max("result".length, ...rows.map((r) => r[1].length));
  const line = (a: string, b: string) => `| ${a.padEnd(w0)} | ${b.padEnd(w1)} |`;
  return [
    line("transform", "result"),
    `| ${"-".repeat(w0)} | ${"-".repeat(w1)} |`,
    ...rows.map((r) => line(...r)),
  ].join("\n");
}
