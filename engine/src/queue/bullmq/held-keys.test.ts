import { describe, expect, it } from "vitest";
import { HeldKeys } from "./held-keys.ts";

describe("HeldKeys", () => {
  it("keeps the most recently used keys up to its limit, oldest first", () => {
    const held = new HeldKeys(3);
    held.touch(["a", "b", "c"]);
    held.touch(["a", "d"]);
    expect(held.list()).toEqual(["c", "a", "d"]);
    expect(held.size).toBe(3);
  });

  it("trims to a cache's entry count after it evicted, dropping the least recent", () => {
    const held = new HeldKeys(10);
    held.touch(["a", "b", "c", "d"]);
    held.trim(2);
    expect(held.list()).toEqual(["c", "d"]);
    held.trim(-1);
    expect(held.list()).toEqual([]);
  });
});
