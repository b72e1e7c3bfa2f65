import { transformNamed } from "../language/registry.js";
import { constType, type ValueType } from "../language/value-types.js";
import type { ValueSpec } from "../specs/types.js";
import { selectsMany } from "./json-path.js";

export { assignError, type ValueType } from "../language/value-types.js";

/** The static type of a value: a transform's comes from its definition (src/language/transforms/). */
export function typeOf(v: ValueSpec): ValueType {
  switch (v.kind) {
    case "const":
      return constType(v.value);
    case "key":
      return "string";
    case "index":
    case "position":
      return "integer";
    case "test":
      return "boolean";
    case "path":
      return selectsMany(v.path) ? "list" : "any";
    case "coalesce":
      return "any";
    case "transform":
      return transformNamed(v.name)?.result(v.options, v.args.map(typeOf)) ?? "any";
    case "each":
      return "list";
  }
}

/** What an argument of a transform must be (undefined: this one may be). */
export function argumentError(name: string, arg: ValueType): string | undefined {
  return transformNamed(name)?.argument(arg);
}
