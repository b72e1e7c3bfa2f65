import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/compile.js";
import { checkExamples } from "../../src/examples/check-examples.js";
import { formatIssue } from "../../src/specs/issues.js";
import {
  ABSENT,
  checkPath,
  compileListPath,
  compilePath,
  forEachPath,
  selectsMany,
  simpleSegments,
} from "../../src/values/json-path.js";
import { PathLimitError } from "../../src/values/json-path-query.js";
import { loadSpecDir } from "../helpers/specs.js";

const envelope = {
  event_type: "order.created",
  entity_id: "65a1f0000000000000000301",
  data: {
    customer: { user_id: "u1", email: "jane@example.com" },
    business_info: null,
    title: "plain string",
    count: 0,
    flag: false,
    empty: "",
    items: [
      { sku: "A", qty: 2, variant: { key: "red-m" } },
      { sku: "B", qty: 1, variant: null },
      { sku: "C", qty: 5, variant: { key: "blue-l" } },
    ],
    single: [{ sku: "only" }],
    variants: { "red-m": { sku: "TEE-RED-M" }, "blue-l": { sku: "TEE-BLU-L" } },
    "odd key": { "with.dot": 1 },
    nested: { deep: { deeper: { sku: "D" } } },
  },
};

const get = (path: string, root: unknown = envelope) => compilePath(path)(root);

describe("simpleSegments", () => {
  it("splits dotted and bracketed paths", () => {
    expect(simpleSegments("$")).toEqual([]);
    expect(simpleSegments("@")).toEqual([]);
    expect(simpleSegments("$.data.customer.user_id")).toEqual(["data", "customer", "user_id"]);
    expect(simpleSegments("$.data.items[0].sku")).toEqual(["data", "items", 0, "sku"]);
    expect(simpleSegments("$['data']['odd key']")).toEqual(["data", "odd key"]);
    expect(simpleSegments('$["data"]["odd key"]')).toEqual(["data", "odd key"]);
    expect(simpleSegments("$.data['odd key']['with.dot']")).toEqual(["data", "odd key", "with.dot"]);
    expect(simpleSegments("$.data.variants['red-m'].sku")).toEqual(["data", "variants", "red-m", "sku"]);
    expect(simpleSegments("$['']")).toEqual([""]);
    expect(simpleSegments("@.product_snapshot.name")).toEqual(["product_snapshot", "name"]);
    expect(simpleSegments("@[12]")).toEqual([12]);
    expect(simpleSegments("$._a1")).toEqual(["_a1"]);
  });

  it("keeps an index in quotes a string key, and an unquoted one a number", () => {
    expect(simpleSegments("$['0']")).toEqual(["0"]);
    expect(simpleSegments("$[0]")).toEqual([0]);
  });

  it("gives up (undefined) on anything that needs a real JSONPath engine", () => {
    for (const p of [
      "$.data.items[*].sku",
      "$.data.*",
      "$..sku",
      "$.data.items[?(@.qty > 1)].sku",
      "$.data.items[0:2]",
      "$.data.items[-1]",
      "$.data.items[0,1]",
      "$.data.red-m",
      "$.1abc",
      "$['it\\'s']",
      "data.items",
      "$.",
      "$.data.",
      "",
    ]) {
      expect(simpleSegments(p), p).toBeUndefined();
    }
  });
});

describe("compilePath: simple paths", () => {
  it("reads nested values, array elements and bracketed keys", () => {
    expect(get("$.entity_id")).toBe("65a1f0000000000000000301");
    expect(get("$.data.customer.email")).toBe("jane@example.com");
    expect(get("$.data.items[2].sku")).toBe("C");
    expect(get("$.data.items[0].variant.key")).toBe("red-m");
    expect(get("$.data['odd key']['with.dot']")).toBe(1);
    expect(get("$.data.variants['red-m'].sku")).toBe("TEE-RED-M");
    expect(get("$.data.nested.deep.deeper.sku")).toBe("D");
    expect(get("$")).toBe(envelope);
  });

  it("returns falsy values as they are (not absent)", () => {
    expect(get("$.data.count")).toBe(0);
    expect(get("$.data.flag")).toBe(false);
    expect(get("$.data.empty")).toBe("");
  });

  it("returns whole objects and arrays", () => {
    expect(get("$.data.customer")).toEqual({ user_id: "u1", email: "jane@example.com" });
    expect(get("$.data.single")).toEqual([{ sku: "only" }]);
  });

  describe("absent vs null", () => {
    it("a missing key is ABSENT, at any depth", () => {
      expect(get("$.data.missing")).toBe(ABSENT);
      expect(get("$.data.missing.deeper")).toBe(ABSENT);
      expect(get("$.data.customer.phone")).toBe(ABSENT);
      expect(get("$.nope")).toBe(ABSENT);
    });

    it("an explicit null is null", () => {
      expect(get("$.data.business_info")).toBeNull();
    });

    it("walking through an explicit null gives null, however deep the rest of the path", () => {
      expect(get("$.data.business_info.business_name")).toBeNull();
      expect(get("$.data.business_info.address.city")).toBeNull();
      expect(get("$.data.items[1].variant.key")).toBeNull();
      expect(get("$.data.business_info[0]")).toBeNull();
    });

    it("an index out of range is ABSENT", () => {
      expect(get("$.data.items[3]")).toBe(ABSENT);
      expect(get("$.data.items[99].sku")).toBe(ABSENT);
    });

    it("a scalar in the middle of the path is ABSENT", () => {
      expect(get("$.data.title.length")).toBe(ABSENT);
      expect(get("$.data.title[0]")).toBe(ABSENT);
      expect(get("$.data.count.x")).toBe(ABSENT);
      expect(get("$.data.flag.x.y")).toBe(ABSENT);
    });

    it("an index into an object, or a key into a scalar root, is ABSENT", () => {
      expect(get("$.data.customer[0]")).toBe(ABSENT);
      expect(get("$.a", "text")).toBe(ABSENT);
      expect(get("$.a", 5)).toBe(ABSENT);
      expect(get("$[0]", "text")).toBe(ABSENT);
    });

    it("a null root is null; inherited properties are not keys", () => {
      expect(get("$.a", null)).toBeNull();
      expect(get("$.data.customer.toString")).toBe(ABSENT);
      expect(get("$.data.constructor")).toBe(ABSENT);
      expect(get("$.__proto__", JSON.parse('{"__proto__": {"x": 1}}'))).toEqual({ x: 1 });
    });
  });

  it("reads the for_each element with @ paths", () => {
    const element = { product_snapshot: { name: "Classic Tee" }, variant_snapshot: null };
    expect(compilePath("@.product_snapshot.name")(element)).toBe("Classic Tee");
    expect(compilePath("@.variant_snapshot.sku")(element)).toBeNull();
    expect(compilePath("@.missing")(element)).toBe(ABSENT);
    expect(compilePath("@")(element)).toBe(element);
  });
});

describe("compilePath: complex paths (parsed and evaluated by projector, never as code)", () => {
  it("wildcards collect every match into an array", () => {
    expect(get("$.data.items[*].sku")).toEqual(["A", "B", "C"]);
    expect(get("$.data.variants.*.sku")).toEqual(["TEE-RED-M", "TEE-BLU-L"]);
  });

  it("one match is returned as the value itself", () => {
    expect(get("$.data.single[*].sku")).toBe("only");
  });

  it("filters with @ select elements", () => {
    expect(get("$.data.items[?(@.qty > 1)].sku")).toEqual(["A", "C"]);
    expect(get("$.data.items[?(@.sku == 'B')].qty")).toBe(1);
    expect(get("$.data.items[?(@.variant && @.variant.key == 'blue-l')].sku")).toBe("C");
  });

  it("recursive descent finds keys at any depth", () => {
    expect(get("$.data.nested..sku")).toBe("D");
    expect(get("$.data.items..key")).toEqual(["red-m", "blue-l"]);
  });

  it("slices, unions and indexes from the end", () => {
    expect(get("$.data.items[0:2].sku")).toEqual(["A", "B"]);
    expect(get("$.data.items[-1:].sku")).toBe("C");
    expect(get("$.data.items[::2].sku")).toEqual(["A", "C"]);
    expect(get("$.data.items[0,2].sku")).toEqual(["A", "C"]);
    expect(get("$.data.items[-1].sku")).toBe("C");
    expect(get("$.data.items[-4].sku")).toBe(ABSENT);
    expect(get("$.data['customer','title']")).toEqual([
      { user_id: "u1", email: "jane@example.com" },
      "plain string",
    ]);
  });

  it("filters compare numbers, text, booleans and null, with &&, || and !", () => {
    expect(get("$.data.items[?(@.qty >= 2 && @.qty < 5)].sku")).toBe("A");
    expect(get("$.data.items[?(@.qty == 1 || @.sku == 'C')].sku")).toEqual(["B", "C"]);
    expect(get("$.data.items[?(!(@.qty > 1))].sku")).toBe("B");
    expect(get("$.data.items[?(@.variant == null)].sku")).toBe("B");
    expect(get("$.data.items[?(@.variant != null)].sku")).toEqual(["A", "C"]);
    expect(get('$.data.items[?(@.sku === "A")].qty')).toBe(2);
    expect(get("$.data.items[?(@.sku > 'A')].sku")).toEqual(["B", "C"]);
    // Values of different kinds are never equal, nor ordered (no JavaScript coercion: '2' is not 2).
    expect(get("$.data.items[?(@.qty == '2')].sku")).toBe(ABSENT);
    expect(get("$.data.items[?(@.qty > '1')].sku")).toBe(ABSENT);
    // A missing member is neither null nor anything else.
    expect(get("$.data.items[?(@.nope == null)].sku")).toBe(ABSENT);
    expect(get("$.data.items[?(@.nope != 1)].sku")).toEqual(["A", "B", "C"]);
    // $ in a filter is the path's root; filters apply to an object map's values too.
    expect(get("$.data.items[?(@.sku == $.data.single[0].sku)]")).toBe(ABSENT);
    expect(get("$.data.variants[?(@.sku == 'TEE-BLU-L')].sku")).toBe("TEE-BLU-L");
    expect(get("$.data.items[?(@.variant)].variant.key")).toEqual(["red-m", "blue-l"]);
  });

  it("recursive descent visits a node before its children, in document order, however deep", () => {
    expect(get("$..sku")).toEqual(["A", "B", "C", "only", "TEE-RED-M", "TEE-BLU-L", "D"]);
    let deep: unknown = { sku: "bottom" };
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(compilePath("$..sku")({ data: deep })).toBe("bottom");
  });

  it("stops a path that would visit more than its limit of values (the event is dead-lettered)", () => {
    const wide = { data: Array.from({ length: 2100 }, () => Array.from({ length: 2100 }, () => 1)) };
    expect(() => compilePath("$..*")(wide)).toThrow(PathLimitError);
    expect(() => compilePath("$..*..*")(wide)).toThrow(/visits more than 4000000 values of the event/);
  });

  it("a numeric name step (.0) is a simple step: $.b.0[*] is an array like $.b[0][*] (fuzz seed 651977191)", () => {
    const d = { b: [{ a: {} }] };
    expect(compilePath("$.b.0[*]")(d)).toEqual([{}]);
    expect(compilePath("$.b[0][*]")(d)).toEqual([{}]);
    expect(compilePath("$.b.0.a")(d)).toEqual({});
    expect(compilePath("$.m.0")({ m: { "0": "zero" } })).toBe("zero");
  });

  it("no match is ABSENT (never an empty array)", () => {
    expect(get("$.data.items[?(@.qty > 100)].sku")).toBe(ABSENT);
    expect(get("$.data.missing[*]")).toBe(ABSENT);
    expect(get("$..no_such_key")).toBe(ABSENT);
  });

  it("a scalar or null root is ABSENT", () => {
    expect(get("$.data.items[*]", null)).toBe(ABSENT);
    expect(get("$..x", "text")).toBe(ABSENT);
  });

  it("explicit nulls that match are kept", () => {
    expect(get("$.data.items[*].variant")).toEqual([{ key: "red-m" }, null, { key: "blue-l" }]);
  });

  it("@ paths address the element the same way", () => {
    expect(compilePath("@.list[*].v")({ list: [{ v: 1 }, { v: 2 }] })).toEqual([1, 2]);
  });

  it("never throws on data a filter does not expect", () => {
    expect(() => get("$.data.items[?(@.variant.key == 'red-m')].sku")).not.toThrow();
  });
});

describe("compilePath: a trailing [*] or .* (every element of a container)", () => {
  it("is always an array of the elements, however many there are", () => {
    expect(get("$.data.items[*]")).toHaveLength(3);
    expect(get("$.data.single[*]")).toEqual([{ sku: "only" }]);
    expect(compilePath("$.data.tags[*]")({ data: { tags: [] } })).toEqual([]);
    expect(get("$.data.variants.*")).toEqual([{ sku: "TEE-RED-M" }, { sku: "TEE-BLU-L" }]);
  });

  it("is ABSENT when the container is missing (or not a container), null when it is null", () => {
    expect(get("$.data.missing[*]")).toBe(ABSENT);
    expect(get("$.data.title[*]")).toBe(ABSENT);
    expect(get("$.data.business_info[*]")).toBe(null);
  });

  it("names the container itself for for_each (indexes and map keys kept)", () => {
    expect(forEachPath("$.data.items[*]")).toBe("$.data.items");
    expect(forEachPath("$.data.variants.*")).toBe("$.data.variants");
    expect(forEachPath("$.data.items")).toBe("$.data.items");
    expect(forEachPath("$.data.items[*].sku")).toBe("$.data.items[*].sku");
  });

  it("maps one element, none, and an object map as design.md's `for_each: $.data.items[*]` means", () => {
    const dir = fileURLToPath(new URL("../fixtures/wildcards", import.meta.url));
    const { spec, issues } = loadSpecDir(join(dir));
    expect(issues.map(formatIssue)).toEqual([]);
    const results = checkExamples(compile(spec));
    expect(results).toHaveLength(4);
    expect(results.filter((r) => r.failures.length > 0).map((r) => [r.example.name, r.failures])).toEqual([]);
  });
});

describe("checkPath", () => {
  it("accepts simple and complex paths", () => {
    for (const p of [
      "$",
      "@",
      "$.data.customer.user_id",
      "$.data['odd key']",
      "@.product_snapshot.name",
      "$.data.items[*].sku",
      "$..sku",
      "$.data.items[?(@.qty > 1)].sku",
      "$.data.items[0:2]",
    ]) {
      expect(checkPath(p), p).toBeUndefined();
    }
  });

  it("requires $ or @ at the start", () => {
    for (const p of ["data.items", "", "items[0]", " $.a"]) {
      expect(checkPath(p), p).toBe("a path starts with $ (the envelope) or @ (the for_each element)");
    }
  });

  it("reports unbalanced brackets and parentheses", () => {
    for (const p of ["$.a[", "$.a]", "$.a[0", "$.a[?(@.b > 1]", "$.a)", "$.a[(0]"]) {
      expect(checkPath(p), p).toBe("unbalanced brackets");
    }
  });

  it("reports unterminated quotes", () => {
    expect(checkPath("$['a")).toBe("unterminated quote");
    expect(checkPath('$.a["b]')).toBe("unterminated quote");
  });

  it("reports steps that are not steps, where they start", () => {
    expect(checkPath("$data.name")).toMatch(/^unexpected "data\.name" at character 2/);
    expect(checkPath("$.data.items[0]qty")).toMatch(/^unexpected "qty" at character 16/);
    expect(checkPath("$.data x")).toMatch(/^unexpected " x" at character 7/);
    expect(checkPath("$ .data.x")).toMatch(/^unexpected " \.data\.x" at character 2/);
    // A dot step's name runs to the next . or [, as jsonpath-plus reads it.
    for (const p of [
      "$.data['a b'].c-d.名前",
      "$.data.2fa",
      "$.data.items.0",
      "$.data.a:b",
      "$.data.-x",
      "$..*",
      "$..['sku']",
      "$..[0]",
    ])
      expect(checkPath(p), p).toBeUndefined();
    expect(get("$.data.items.0.sku")).toBe("A");
  });

  it("reports incomplete segments", () => {
    for (const p of ["$.a.", "$..", "$.a[]", "$.a.[0]", "$.a...b"]) {
      expect(checkPath(p), p).toBe("incomplete path segment");
    }
  });

  it("rejects a malformed filter expression", () => {
    expect(checkPath("$.data.items[?(@.qty ==)].sku")).toMatch(
      /^unexpected "\)\]\.sku" at character 24 in the filter: a filter compares values/,
    );
    expect(checkPath("$.data.items[?(@.qty = 1)]")).toBe(
      "the filter has a single =, which assigns: write == to compare",
    );
    expect(checkPath("$.data.items[?(@.qty =! 1)]")).toBe(
      "the filter has =!, which compares with a negation: write != to test inequality",
    );
  });

  it("refuses what the docs do not describe: code, script expressions, other engines' operators", () => {
    const refused: [string, RegExp][] = [
      ["$[?(@.constructor.constructor('return process')())]", /unexpected "\('return pro" .* in the filter/],
      [
        `$..[?(p="console.log(this.process.mainModule.require('child_process').execSync('id').toString())";a=''[['constructor']][['constructor']](p);a())]`,
        /unexpected "p=/,
      ],
      ["$.data.items[?(@.sku.toUpperCase() == 'A')]", /unexpected "\(\) == 'A'\)\]"/],
      ["$.data.items[?(@.qty + 1 > 2)]", /unexpected "\+ 1 > 2\)\]"/],
      ["$.data.items[?(@property == 0)]", /@property is not part of the filters a spec may write/],
      ["$.data.items[?(@path)]", /@path is not part of the filters/],
      ["$.data.items[?(@..sku)]", /inside a filter, a path's steps are .name, \['key'\] and \[index\]/],
      ["$.data.items[(@.length-1)]", /script expressions are not part of the JSONPath a spec may write/],
      ["$.data.items~", /~ is not part of the JSONPath a spec may write/],
      ["$.data.items^", /\^ is not part of the JSONPath a spec may write/],
      ["$.data.items[0:5:-1]", /a slice's step must be a positive integer/],
      ["$.data.items[?@.qty]", /a filter is written \[\?\(…\)\]/],
    ];
    for (const [path, message] of refused) {
      expect(checkPath(path), path).toMatch(message);
      expect(() => compilePath(path), path).toThrow(message);
    }
  });
});

describe("paths read as lists (an aggregate's argument)", () => {
  const e = {
    data: {
      lines: [
        { sku: "A", amount: 1 },
        { sku: "B", amount: 2 },
        { sku: "C", amount: null },
      ],
      none: [],
      nothing: null,
      limit: 1,
    },
  };

  it("selectsMany: wildcards, slices and descent select several values; filters and plain paths one", () => {
    expect(selectsMany("$.data.lines[*].amount")).toBe(true);
    expect(selectsMany("$.data.lines.*")).toBe(true);
    expect(selectsMany("$.data.lines[0:2].amount")).toBe(true);
    expect(selectsMany("$..amount")).toBe(true);
    expect(selectsMany("$.data.lines[?(@.sku == 'A')].amount")).toBe(false);
    expect(selectsMany("$.data.lines[0].amount")).toBe(false);
    expect(selectsMany("$.data.limit")).toBe(false);
  });

  it("gives every value selected, [] for none, ABSENT without what the path starts from, null through null", () => {
    expect(compileListPath("$.data.lines[*].amount")(e)).toEqual([1, 2, null]);
    // One match is still a list (compilePath gives the value itself).
    expect(compileListPath("$.data.lines[?(@.sku == 'B')].amount")(e)).toEqual([2]);
    expect(compilePath("$.data.lines[?(@.sku == 'B')].amount")(e)).toBe(2);
    expect(compileListPath("$.data.none[*].amount")(e)).toEqual([]);
    expect(compileListPath("$.data.missing[*].amount")(e)).toBe(ABSENT);
    expect(compileListPath("$.data.nothing[*].amount")(e)).toBeNull();
    expect(compileListPath("$.data.limit")(e)).toEqual([1]);
    // A plain path to an array: its elements.
    expect(compileListPath("$.data.lines")(e)).toHaveLength(3);
    expect(compileListPath("$.data.none")(e)).toEqual([]);
    // A filter's $ is the envelope, also after the plain steps.
    expect(compileListPath("$.data.lines[?(@.amount > $.data.limit)].sku")(e)).toEqual(["B"]);
  });
});
