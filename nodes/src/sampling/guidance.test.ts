import { describe, expect, it } from "vitest";
import { combineGuidance, usesGuidance } from "./guidance.ts";

describe("combineGuidance", () => {
  it("computes uncond + g·(cond − uncond) row by row", () => {
    // Two rows each: uncond (1, -2), cond (3, 2); g = 7.5 → 1 + 15 = 16, -2 + 30 = 28.
    const out = combineGuidance(Float32Array.from([1, -2, 3, 2]), 7.5, new Float32Array(2));
    expect(Array.from(out)).toEqual([16, 28]);
  });

  it("at g = 1 gives the conditional prediction", () => {
    const out = combineGuidance(Float32Array.from([0.25, 0.5, -1, 4]), 1, new Float32Array(2));
    expect(Array.from(out)).toEqual([-1, 4]);
  });

  it("runs guidance only above a scale of 1", () => {
    expect(usesGuidance(1)).toBe(false);
    expect(usesGuidance(0.5)).toBe(false);
    expect(usesGuidance(1.01)).toBe(true);
  });
});
