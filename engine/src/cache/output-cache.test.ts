import { describe, expect, it } from "vitest";
import { OutputCache } from "./output-cache.ts";

/** Values whose size is their byte length, so budgets are exact. */
const bytes = (n: number) => new Uint8Array(n);

describe("OutputCache", () => {
  it("returns what was stored and counts hits and misses", () => {
    const cache = new OutputCache({ budgetBytes: 1000 });
    const value = bytes(10);
    cache.set("a", value);
    expect(cache.get("a")).toBe(value);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.stats()).toEqual({
      entries: 1,
      bytes: 10,
      budgetBytes: 1000,
      hits: 1,
      misses: 1,
      evictions: 0,
      rejected: 0,
    });
  });

  it("evicts the least recently used entries first to stay under the budget", () => {
    const cache = new OutputCache({ budgetBytes: 300 });
    cache.set("a", bytes(100));
    cache.set("b", bytes(100));
    cache.set("c", bytes(100));
    cache.get("a"); // a is now the most recent; b the least
    cache.set("d", bytes(150)); // needs 150 more: evicts b, then c
    expect(cache.keys()).toEqual(["a", "d"]);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 250, evictions: 2 });
  });

  it("never holds more bytes than the budget after any set", () => {
    const cache = new OutputCache({ budgetBytes: 1000 });
    for (let i = 0; i < 200; i++) {
      cache.set(`k${i}`, bytes((i * 37) % 400));
      expect(cache.stats().bytes).toBeLessThanOrEqual(1000);
    }
  });

  it("refuses an entry larger than the whole budget, counting it, and keeps the others", () => {
    const cache = new OutputCache({ budgetBytes: 100 });
    cache.set("small", bytes(50));
    expect(cache.set("huge", bytes(101))).toBe(false);
    expect(cache.has("huge")).toBe(false);
    expect(cache.keys()).toEqual(["small"]);
    expect(cache.stats()).toMatchObject({ rejected: 1, evictions: 0 });
  });

  it("replaces an entry under the same key without double-counting its bytes", () => {
    const cache = new OutputCache({ budgetBytes: 1000 });
    cache.set("a", bytes(100));
    cache.set("a", bytes(300));
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 300 });
  });

  it("clear() drops the entries and keeps lifetime counters", () => {
    const cache = new OutputCache({ budgetBytes: 1000 });
    cache.set("a", bytes(100));
    cache.get("a");
    cache.clear();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0, hits: 1 });
    expect(cache.get("a")).toBeUndefined();
  });

  it("shrinking the budget evicts at once, oldest first", () => {
    const cache = new OutputCache({ budgetBytes: 1000 });
    cache.set("a", bytes(400));
    cache.set("b", bytes(400));
    cache.setBudget(500);
    expect(cache.keys()).toEqual(["b"]);
  });

  it("sizes by a custom function when given", () => {
    const cache = new OutputCache<string>({ budgetBytes: 10, sizeOf: () => 4 });
    cache.set("a", "x");
    cache.set("b", "y");
    cache.set("c", "z");
    expect(cache.keys()).toEqual(["b", "c"]);
  });
});
