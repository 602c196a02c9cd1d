import { describe, expect, it } from "vitest";
import { centerCrop, resizeImage, resizeShortestSideAndCenterCrop } from "./resize.ts";
import { createRgbImage, type RgbImage } from "./rgb-image.ts";

function pixel(image: RgbImage, x: number, y: number): number[] {
  const i = (y * image.width + x) * 3;
  return Array.from(image.data.subarray(i, i + 3));
}

describe("resizeImage", () => {
  it("keeps a flat colour flat and gives the requested size", async () => {
    const resized = await resizeImage(createRgbImage(30, 20, [10, 120, 250]), 17, 45);
    expect([resized.width, resized.height]).toEqual([17, 45]);
    for (let p = 0; p < 17 * 45; p++)
      expect(Array.from(resized.data.subarray(p * 3, p * 3 + 3))).toEqual([10, 120, 250]);
  });

  it("keeps a horizontal ramp increasing when upscaled", async () => {
    const ramp = createRgbImage(8, 2);
    for (let x = 0; x < 8; x++) for (let y = 0; y < 2; y++) ramp.data.set([x * 30, 0, 0], (y * 8 + x) * 3);
    const up = await resizeImage(ramp, 32, 2);
    for (let x = 1; x < 32; x++) expect(pixel(up, x, 0)[0]).toBeGreaterThanOrEqual(pixel(up, x - 1, 0)[0]);
    expect(pixel(up, 0, 0)[0]).toBeLessThan(10);
    expect(pixel(up, 31, 0)[0]).toBeGreaterThan(200);
  });
});

describe("centerCrop", () => {
  it("takes the middle, rounding an odd margin as torchvision does", () => {
    // 5 wide → 2 wide: margin 3, left = round(1.5) = 2 (Python rounds halves to even).
    const image = createRgbImage(5, 1);
    for (let x = 0; x < 5; x++) image.data[x * 3] = x;
    const cropped = centerCrop(image, 2, 1);
    expect([cropped.data[0], cropped.data[3]]).toEqual([2, 3]);
    // 6 wide → 3 wide: left = round(1.5) = 2.
    const six = createRgbImage(6, 1);
    for (let x = 0; x < 6; x++) six.data[x * 3] = x;
    expect(centerCrop(six, 3, 1).data[0]).toBe(2);
    expect(() => centerCrop(image, 6, 1)).toThrow(/cannot crop/);
  });
});

describe("resizeShortestSideAndCenterCrop", () => {
  it("scales the short side to the size and keeps the middle of the long side", async () => {
    // 300×100: green in x ∈ [60,240), red elsewhere. Short side 100 → 50 gives 150×50; the
    // center 50 columns are resized x 50..100, i.e. original 100..200: all green, far from the edges.
    const image = createRgbImage(300, 100, [255, 0, 0]);
    for (let y = 0; y < 100; y++) for (let x = 60; x < 240; x++) image.data.set([0, 255, 0], (y * 300 + x) * 3);
    const out = await resizeShortestSideAndCenterCrop(image, 50);
    expect([out.width, out.height]).toEqual([50, 50]);
    for (let p = 0; p < 2500; p++) expect(Array.from(out.data.subarray(p * 3, p * 3 + 3))).toEqual([0, 255, 0]);
  });
});
