import { describe, expect, it } from "vitest";
import { compareEightBit, hwcToChw, maxAbsDiff, stepName } from "./reference-compare.ts";

describe("maxAbsDiff", () => {
  it("gives the largest absolute difference, and refuses tensors of different sizes", () => {
    expect(maxAbsDiff([1, 2, 3], [1.5, 2, 2.75])).toBe(0.5);
    expect(() => maxAbsDiff([1, 2], [1, 2, 3], "latents")).toThrow("latents: 2 values, reference has 3");
  });
});

describe("compareEightBit", () => {
  it("counts one-level flips and how far their float lies from the k + 0.5 boundary", () => {
    // 0.5/255 sits on the boundary between 0 and 1; 100.4995/255 lies 5e-4 below 100.5.
    const reference = new Float32Array([0.5 / 255, 100.4995 / 255, 7 / 255]);
    const result = compareEightBit(new Uint8Array([1, 101, 7]), new Uint8Array([0, 100, 7]), reference);
    expect(result.flips).toBe(2);
    expect(result.largestStep).toBe(1);
    expect(result.farthestFromBoundary).toBeCloseTo(5e-4, 5);
  });

  it("reports a difference of more than a level, and a flip far from any boundary", () => {
    const result = compareEightBit(new Uint8Array([9]), new Uint8Array([7]), new Float32Array([7 / 255]));
    expect(result.largestStep).toBe(2);
    expect(result.farthestFromBoundary).toBeCloseTo(0.5, 5);
  });
});

describe("hwcToChw and stepName", () => {
  it("moves channels in front of rows, picture by picture", () => {
    // Two 1×2 pictures, channels (r,g,b) = (10·p + x, …).
    const hwc = new Float32Array([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);
    expect(Array.from(hwcToChw(hwc, 2, 1, 2))).toEqual([0, 3, 1, 4, 2, 5, 10, 13, 11, 14, 12, 15]);
  });

  it("names steps as the fixtures do", () => {
    expect(stepName(0)).toBe("step00");
    expect(stepName(25)).toBe("step25");
  });
});
