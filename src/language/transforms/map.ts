import { cut } from "../../core/text.js";
import { CoerceFailure, describe } from "../failure.js";
import type { TransformDef, TransformOptions } from "../transform.js";
import { constType, LIST_HINT } from "../value-types.js";

const SCALAR = { type: ["string", "number", "boolean", "null"] };

/** A lookup table (keys are the input as text), with a fallback for the rest. */
export const map: TransformDef = {
  name: "map",
  description: "A lookup table with a fallback.",
  doc: {
    form: "`{ map: v, values: { succeeded: paid, SUCCEEDED: paid }, default: other }`",
    result:
      "a lookup table (keys are the input as text); `default: c` for the rest, `else: pass` keeps the input, `else: error` (the default) dead-letters it",
  },
  input: { kind: "value" },
  options: {
    values: {
      type: "object",
      additionalProperties: SCALAR,
      description: "Lookup table: input (as text) → output.",
    },
    default: { ...SCALAR, description: "What a value not in the table becomes." },
    else: {
      enum: ["pass", "error"],
      description:
        "pass: a value not in the table stays as it is; error (the default): the event is dead-lettered.",
    },
  },
  parse: (raw) => {
    const values = raw.values;
    if (values === null || typeof values !== "object" || Array.isArray(values))
      return {
        issue: "map needs values: the lookup table",
        hint: "write { map: $.data.status, values: { succeeded: paid }, else: pass }",
      };
    if (raw.default !== undefined && raw.else !== undefined)
      return {
        at: "else",
        issue: "map takes default or else, not both",
        hint: "default: a constant for values not in the table; else: pass or error",
      };
    if (raw.else !== undefined && raw.else !== "pass" && raw.else !== "error")
      return {
        at: "else",
        issue: "else must be pass or error",
        hint: "give default: <constant> for a constant fallback",
      };
    const fallback: TransformOptions["fallback"] =
      raw.default !== undefined
        ? { kind: "default", value: raw.default as string | number | boolean | null }
        : { kind: (raw.else ?? "error") as "pass" | "error" };
    return { values: values as TransformOptions["values"] & object, fallback };
  },
  argument: (t) => (t === "list" ? `map looks one value up, not several: ${LIST_HINT}` : undefined),
  result: (o) => {
    const fallback = o.fallback;
    const outputs = [
      ...Object.values(o.values ?? {}),
      ...(fallback?.kind === "default" ? [fallback.value] : []),
    ];
    const types = new Set(outputs.filter((v) => v !== null).map(constType));
    if (fallback?.kind === "pass" || types.size !== 1) return "any";
    return [...types][0]!;
  },
  takesNull: true,
  evaluate: (o) => {
    const table = new Map(Object.entries(o.values ?? {}));
    const fallback = o.fallback ?? { kind: "error" };
    const keys = cut([...table.keys()].join(", "), 400);
    return ([v]) => {
      if (v !== null && typeof v === "object")
        return new CoerceFailure(`map expected a scalar, got ${describe(v)}`);
      const found = table.get(String(v));
      if (found !== undefined || table.has(String(v))) return found ?? null;
      if (fallback.kind === "default") return fallback.value;
      if (fallback.kind === "pass") return v;
      return new CoerceFailure(`map: ${describe(v)} is not in its values (${keys})`);
    };
  },
  examples: [
    {
      value: "{ map: $.data.s, values: { succeeded: paid, failed: failed }, default: other }",
      column: "varchar(10)",
      data: { s: "succeeded" },
      out: "paid",
    },
    {
      value: "{ map: $.data.s, values: { succeeded: paid }, default: other }",
      column: "varchar(10)",
      data: { s: "weird" },
      out: "other",
    },
    {
      value: "{ map: $.data.s, values: { a: b }, else: pass }",
      column: "varchar(10)",
      data: { s: "z" },
      out: "z",
    },
    {
      value: "{ map: $.data.s, values: { a: b } }",
      column: "varchar(10)",
      data: { s: "z" },
      out: { error: "is not in its values" },
    },
  ],
};

export default map;
