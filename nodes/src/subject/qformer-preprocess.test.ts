import { describe, expect, it } from "vitest";
import { createRgbImage, type RgbImage } from "@infix/engine";
import type { PackManifest } from "../pack/manifest.ts";
import { qformerPixelValues, resizeForQFormer } from "./qformer-preprocess.ts";

const manifest = {
  qformer: { image_size: 4, image_mean: [0.5, 0.25, 0], image_std: [0.5, 0.25, 1] },
} as unknown as PackManifest;

/** A 12×4 picture: left third red, middle green, right third blue. */
function stripes(): RgbImage {
  const image = createRgbImage(12, 4);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 12; x++) image.data[(y * 12 + x) * 3 + Math.floor(x / 4)] = 255;
  return image;
}

describe("Q-Former preprocessing", () => {
  it("normalises a flat colour to (v/255 − mean)/std per channel", () => {
    const pixels = qformerPixelValues([createRgbImage(7, 5, [255, 51, 0])], manifest, "squash");
    expect(pixels.dims).toEqual([1, 3, 4, 4]);
    expect(pixels.data[0]).toBeCloseTo((1 - 0.5) / 0.5, 6);
    expect(pixels.data[16]).toBeCloseTo((0.2 - 0.25) / 0.25, 6);
    expect(pixels.data[32]).toBeCloseTo(0, 6);
  });

  it("squash keeps all three stripes; center_crop keeps only the middle (green) one", () => {
    const squashed = resizeForQFormer(stripes(), 4, "squash");
    const cropped = resizeForQFormer(stripes(), 4, "center_crop");
    expect(squashed.data[0]).toBeGreaterThan(200); // left column red
    expect(squashed.data[3 * 3 + 2]).toBeGreaterThan(200); // right column blue
    // Shortest side already 4: no resize, the crop is columns 4..7, pure green.
    for (let p = 0; p < 16; p++) expect(Array.from(cropped.data.subarray(p * 3, p * 3 + 3))).toEqual([0, 255, 0]);
  });
});
