import { describe, expect, it } from "vitest";
import { float16ArrayToFloat32, float16BitsToFloat32, float32ArrayToFloat16, float32ToFloat16Bits } from "./float16.ts";

// Expected bit patterns worked out from the binary16 layout (1 sign, 5 exponent bits with
// bias 15, 10 mantissa bits), e.g. 1.0 = 0 01111 0000000000 = 0x3c00.
describe("float32 → float16", () => {
  it("encodes exactly representable values", () => {
    expect(float32ToFloat16Bits(0)).toBe(0x0000);
    expect(float32ToFloat16Bits(-0)).toBe(0x8000);
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(0.5)).toBe(0x3800);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff); // largest finite half
    expect(float32ToFloat16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToFloat16Bits(2 ** -15)).toBe(0x0200); // a subnormal
  });

  it("rounds to nearest, ties to even", () => {
    // Spacing of halves in [1,2) is 2^-10. 1 + 2^-11 is a tie between 0x3c00 (even) and 0x3c01.
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 ties between 0x3c01 (odd) and 0x3c02 (even): goes up to even.
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    // Just above the tie rounds up.
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    // A subnormal tie: 1.5·2^-24 lies between 0x0001 (odd) and 0x0002 → 0x0002; 0.5·2^-24 → 0.
    expect(float32ToFloat16Bits(1.5 * 2 ** -24)).toBe(0x0002);
    expect(float32ToFloat16Bits(0.5 * 2 ** -24)).toBe(0x0000);
    expect(float32ToFloat16Bits(0.75 * 2 ** -24)).toBe(0x0001);
    // Rounding up the largest subnormal mantissa carries into the smallest normal.
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400);
  });

  it("overflows to infinity and keeps NaN", () => {
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // halfway to 2^16: ties to even = Infinity
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
    expect(float32ToFloat16Bits(1e10)).toBe(0x7c00);
    expect(float32ToFloat16Bits(-Infinity)).toBe(0xfc00);
    const nan = float32ToFloat16Bits(NaN);
    expect((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0).toBe(true);
    expect(float32ToFloat16Bits(1e-10)).toBe(0);
  });
});

describe("float16 → float32", () => {
  it("decodes normal, subnormal and special values", () => {
    expect(float16BitsToFloat32(0x3c00)).toBe(1);
    expect(float16BitsToFloat32(0xc000)).toBe(-2);
    expect(float16BitsToFloat32(0x7bff)).toBe(65504);
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16BitsToFloat32(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(float16BitsToFloat32(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(float16BitsToFloat32(0x7e00))).toBe(true);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it("round-trips every finite half through float32 and back", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const asFloat = float16ArrayToFloat32(all);
    const back = float32ArrayToFloat16(asFloat);
    for (let i = 0; i < 65536; i++) {
      if (Number.isNaN(asFloat[i])) continue;
      if (back[i] !== i) throw new Error(`half 0x${i.toString(16)} came back as 0x${back[i].toString(16)}`);
    }
    expect(back[0x3c00]).toBe(0x3c00);
  });
});
