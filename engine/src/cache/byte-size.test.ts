import { describe, expect, it } from "vitest";
import { byteSizeOf } from "./byte-size.ts";

describe("byteSizeOf", () => {
  it("counts typed arrays and ArrayBuffers by their byte length", () => {
    expect(byteSizeOf(new Float32Array(1000))).toBe(4000);
    expect(byteSizeOf(new BigInt64Array(3))).toBe(24);
    expect(byteSizeOf(new ArrayBuffer(77))).toBe(77);
  });

  it("counts a buffer shared by several views once", () => {
    const buffer = new ArrayBuffer(1024);
    expect(byteSizeOf([new Uint8Array(buffer, 0, 10), new Float32Array(buffer)])).toBe(
      byteSizeOf([new Uint8Array(8), new Uint8Array(8)]) - 16 + 1024,
    );
  });

  it("counts strings at two bytes a character", () => {
    expect(byteSizeOf("abcd")).toBe(8);
  });

  it("walks tensors, arrays, objects and Maps, dominated by their buffers", () => {
    const tensor = { dims: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64) };
    const size = byteSizeOf(tensor);
    expect(size).toBeGreaterThan(3 * 64 * 64 * 4);
    expect(size).toBeLessThan(3 * 64 * 64 * 4 + 200);
    expect(byteSizeOf(new Map([["a", tensor]]))).toBeGreaterThan(size);
    expect(byteSizeOf([tensor, tensor])).toBe(byteSizeOf([tensor]) + 8); // the second reference adds one slot
  });

  it("asks objects that know their own size", () => {
    const handle = { byteSize: () => 123_456_789, weights: new Float32Array(10) };
    expect(byteSizeOf(handle)).toBe(123_456_789);
    expect(byteSizeOf({ pack: handle })).toBe(123_456_789 + 16 + 2 * 4 + 8);
  });

  it("survives cycles", () => {
    const a: Record<string, unknown> = { data: new Uint8Array(100) };
    a.self = a;
    expect(byteSizeOf(a)).toBeGreaterThanOrEqual(100);
  });
});
