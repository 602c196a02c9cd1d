import { describe, expect, it } from "vitest";
import { bfloat16ArrayToFloat32, toFloat32 } from "./dtype-conversion.ts";

/** Little-endian bytes of 16-bit words. */
const words16 = (...bits: number[]) => new Uint8Array(new Uint16Array(bits).buffer);
const float32Bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer));

describe("toFloat32", () => {
  it("widens float16 bit patterns worked out by hand (sign, exponent bias 15, 10-bit mantissa)", () => {
    // 0x3c00 = 1, 0xc000 = -2, 0x3555 = (1+341/1024)/4, 0x7bff = 65504 (largest half),
    // 0x0001 = 2^-24 (smallest subnormal), 0x0400 = 2^-14 (smallest normal), 0x8000 = -0.
    const out = toFloat32(words16(0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x0400, 0x8000), "float16");
    expect(Array.from(out)).toEqual([1, -2, (1 + 341 / 1024) / 4, 65504, 2 ** -24, 2 ** -14, -0]);
    expect(Object.is(out[6], -0)).toBe(true);
  });

  it("keeps float16 infinities and NaN", () => {
    const out = toFloat32(words16(0x7c00, 0xfc00, 0x7e00), "float16");
    expect(out[0]).toBe(Infinity);
    expect(out[1]).toBe(-Infinity);
    expect(out[2]).toBeNaN();
  });

  it("widens bfloat16 as the top half of a float32 word", () => {
    // 0x3f80 = 1, 0x4049 = 3.140625 (0x40490000), 0xc2f7 = -123.5, 0xff80 = -Inf, 0x0001 = 2^-133 (subnormal in f32).
    const out = toFloat32(words16(0x3f80, 0x4049, 0xc2f7, 0xff80, 0x0001), "bfloat16");
    expect(Array.from(out)).toEqual([1, 3.140625, -123.5, -Infinity, 2 ** -133]);
    expect(float32Bits(bfloat16ArrayToFloat32(new Uint16Array([0x7fc1])))).toEqual([0x7fc10000]);
  });

  it("narrows float64 with round-to-nearest-even like torch's .float()", () => {
    // 0.1 → 0x3dcccccd; 1 + 2^-24 is halfway between 1 and 1 + 2^-23 → even (1);
    // 1 + 3·2^-24 is halfway between 1 + 2^-23 and 1 + 2^-22 → even (1 + 2^-22); 1e39 overflows to Inf.
    const source = new Float64Array([0.1, 1 + 2 ** -24, 1 + 3 * 2 ** -24, 1e39]);
    const out = toFloat32(new Uint8Array(source.buffer), "float64");
    expect(float32Bits(out)).toEqual([0x3dcccccd, 0x3f800000, 0x3f800002, 0x7f800000]);
  });

  it("copies float32 bytes, even from an unaligned slice of a larger buffer", () => {
    const backing = new Uint8Array(9);
    backing.set(new Uint8Array(Float32Array.from([1.5, -3]).buffer), 1);
    const out = toFloat32(backing.subarray(1), "float32");
    expect(Array.from(out)).toEqual([1.5, -3]);
    backing.fill(0);
    expect(Array.from(out)).toEqual([1.5, -3]);
  });

  it("takes the value of integer and boolean tensors", () => {
    expect(Array.from(toFloat32(new Uint8Array(new BigInt64Array([-3n, 77n]).buffer), "int64"))).toEqual([-3, 77]);
    expect(Array.from(toFloat32(new Uint8Array(new Int32Array([-5, 9]).buffer), "int32"))).toEqual([-5, 9]);
    expect(Array.from(toFloat32(new Uint8Array([0, 1, 255]), "uint8"))).toEqual([0, 1, 255]);
    expect(Array.from(toFloat32(new Uint8Array([0, 1]), "bool"))).toEqual([0, 1]);
  });

  it("refuses a byte count that is not a whole number of elements", () => {
    expect(() => toFloat32(new Uint8Array(3), "float16")).toThrow(/not a whole number of float16/);
  });
});
