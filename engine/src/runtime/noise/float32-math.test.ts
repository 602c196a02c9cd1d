import { describe, expect, it } from "vitest";
import { fmaF32, float32Bits, float32FromBits } from "./float32-math.ts";

describe("fmaF32 rounds a·b + c once to float32", () => {
  it("agrees with plain rounding when the double sum is not a float32 tie", () => {
    const a = Math.fround(1.3);
    const b = Math.fround(-0.7);
    const c = Math.fround(0.25);
    expect(fmaF32(a, b, c)).toBe(Math.fround(a * b + c));
  });

  it("breaks a tie that double rounding created: 1 + 2⁻²³ + 2⁻²⁴ − 2⁻⁷⁰ rounds down to 1 + 2⁻²³", () => {
    // a·b = 2⁻²⁴(1 + 2⁻²³)(1 − 2⁻²³) = 2⁻²⁴ − 2⁻⁷⁰ exactly; the double sum lands on the float32 midpoint.
    const a = 2 ** -24 * (1 + 2 ** -23);
    const b = 1 - 2 ** -23;
    const c = 1 + 2 ** -23;
    expect(Math.fround(a * b + c)).toBe(1 + 2 ** -22); // double rounding, then ties-to-even: wrong
    expect(fmaF32(a, b, c)).toBe(1 + 2 ** -23);
  });

  it("reads and writes float32 bit patterns", () => {
    expect(float32Bits(1)).toBe(0x3f800000);
    expect(float32FromBits(0xbf000000)).toBe(-0.5);
  });
});
