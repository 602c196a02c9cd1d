import { describe, expect, it } from "vitest";
import { floatTensor } from "@infix/engine";
import { latentToPreview } from "./latent-preview.ts";

describe("latentToPreview", () => {
  it("maps zero latents to mid grey", () => {
    const preview = latentToPreview(floatTensor([1, 4, 2, 3]));
    expect(preview).toMatchObject({ width: 3, height: 2 });
    expect(Array.from(preview.rgb)).toEqual(new Array(18).fill(128));
  });

  it("applies the SD1.5 factors per pixel of the chosen batch item", () => {
    // Batch item 1, one pixel: channels (1, 0, 0.5, -1).
    const data = Float32Array.from([9, 9, 9, 9, 1, 0, 0.5, -1]);
    const preview = latentToPreview(floatTensor([2, 4, 1, 1], data), 1);
    // r = 0.3512 - 0.14145 + 0.212 = 0.42175 → (1.42175/2)·255 = 181.27
    // g = 0.2297 + 0.0881 + 0.0309 = 0.3487 → 171.96
    // b = 0.3227 + 0.13605 + 0.1478 = 0.60655 → 204.84
    expect(Array.from(preview.rgb)).toEqual([181, 172, 205]);
  });

  it("clamps strong latents to the byte range", () => {
    const preview = latentToPreview(floatTensor([1, 4, 1, 1], Float32Array.from([10, 10, 0, 0])));
    expect(Array.from(preview.rgb)).toEqual([255, 255, 255]);
  });
});
