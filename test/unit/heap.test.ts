import { describe, expect, it } from "vitest";
import { heapTunedByUser } from "../../src/cli/heap.js";

describe("heap tuning", () => {
  it("leaves the heap alone when the user sized or tuned it", () => {
    expect(heapTunedByUser(["--max-old-space-size=512"], "")).toBe(true);
    expect(heapTunedByUser(["--heap_growing_percent=50"], "")).toBe(true);
    expect(heapTunedByUser([], "--enable-source-maps --max-old-space-size=256")).toBe(true);
    expect(heapTunedByUser([], "--max-heap-size=300")).toBe(true);
  });

  it("tunes it otherwise", () => {
    expect(heapTunedByUser([], "")).toBe(false);
    expect(heapTunedByUser(["--enable-source-maps", "--max-semi-space-size=16"], "--trace-warnings")).toBe(
      false,
    );
  });
});
