import { describe, expect, it } from "vitest";
import { firstStepIndex } from "./strength.ts";

describe("firstStepIndex", () => {
  it("runs every step at strength 1", () => {
    expect(firstStepIndex(50, 1)).toBe(0);
  });

  it("skips the first 20 of 50 steps at strength 0.6 (int(30) steps run)", () => {
    expect(firstStepIndex(50, 0.6)).toBe(20);
  });

  it("truncates N·s like Python's int(): 25·0.75 = 18.75 → 18 steps run, start at 7", () => {
    expect(firstStepIndex(25, 0.75)).toBe(7);
  });

  it("multiplies by the scheduler's order", () => {
    expect(firstStepIndex(10, 0.5, 2)).toBe(10);
  });

  it("runs nothing at strength 0", () => {
    expect(firstStepIndex(10, 0)).toBe(10);
  });
});
