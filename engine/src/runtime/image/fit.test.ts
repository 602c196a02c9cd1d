import { describe, expect, it } from "vitest";
import { fitImage } from "./fit.ts";
import { resizeBicubicPil } from "./pil-bicubic.ts";

const source = { width: 30, height: 10, data: Uint8Array.from({ length: 900 }, (_, i) => (i * 11) % 256) };

describe("fitImage", () => {
  it("crop scales to cover and takes the centre", () => {
    const out = fitImage(source, 12, 12, "crop");
    // ×1.2: 36×12, then columns 12–23.
    const scaled = resizeBicubicPil(source, 36, 12);
    for (let y = 0; y < 12; y++)
      expect(Array.from(out.data.subarray(y * 36, y * 36 + 36))).toEqual(
        Array.from(scaled.data.subarray((y * 36 + 12) * 3, (y * 36 + 24) * 3)),
      );
  });

  it("pad scales to fit and centres on black; stretch ignores the aspect", () => {
    const out = fitImage(source, 12, 12, "pad");
    // ×0.4: 12×4 at rows 4–7.
    const scaled = resizeBicubicPil(source, 12, 4);
    expect(Array.from(out.data.subarray(4 * 36, 8 * 36))).toEqual(Array.from(scaled.data));
    expect(out.data.subarray(0, 4 * 36).every((v) => v === 0)).toBe(true);
    expect(fitImage(source, 7, 9, "stretch")).toEqual(resizeBicubicPil(source, 7, 9));
  });
});
