import { describe, expect, it } from "vitest";
import { imageBatchFromRgb, imageBatchToRgb } from "../image/image-batch.ts";
import type { ImageBatch } from "../sockets.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { cannyEdgesNode } from "./canny-edges.ts";

const ctx = createTestContext();

/** A 12×8 picture: left half dark red, right half light blue (a vertical edge between columns 5 and 6). */
function halves(): ImageBatch {
  const data = new Uint8Array(12 * 8 * 3);
  for (let p = 0; p < 96; p++) data.set(p % 12 < 6 ? [120, 10, 10] : [200, 220, 250], p * 3);
  return imageBatchFromRgb([{ width: 12, height: 8, data }], ["sha256:abc"]);
}

const defaults = { low_threshold: 100, high_threshold: 200, blur: "none", l2_gradient: false };

describe("Canny Edges node", () => {
  it("draws white edges on black as RGB, where the strongest channel's gradient peaks", async () => {
    const out = (await runNode(cannyEdgesNode, { image: halves(), ...defaults }, ctx)).image as ImageBatch;
    expect(out.pixels.dims).toEqual([1, 3, 8, 12]);
    expect(out.sourceHashes).toEqual(["sha256:abc"]);
    const [rgb] = imageBatchToRgb(out);
    // Blue jumps 10 → 250: Sobel |dx| = 4·240 on columns 5 and 6; the left one wins suppression.
    for (let y = 0; y < 8; y++) {
      const row = Array.from({ length: 12 }, (_, x) => rgb.data[(y * 12 + x) * 3]);
      expect(row).toEqual([0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0]);
    }
    expect(rgb.data.every((v, i) => v === rgb.data[i - (i % 3)])).toBe(true);
  });

  it("finds nothing when the thresholds exceed the gradient, and blurs first when asked", async () => {
    const none = (
      await runNode(cannyEdgesNode, { image: halves(), ...defaults, low_threshold: 1000, high_threshold: 2000 }, ctx)
    ).image as ImageBatch;
    expect(none.pixels.data.every((v) => v === 0)).toBe(true);
    const blurred = (await runNode(cannyEdgesNode, { image: halves(), ...defaults, blur: "7" }, ctx))
      .image as ImageBatch;
    expect(blurred.pixels.data.some((v) => v === 1)).toBe(true);
  });

  it("refuses an unknown blur size, naming the input", async () => {
    expect(cannyEdgesNode.validate?.({ blur: "9" })[0]).toMatch(/blur "9" must be one of none, 3, 5, 7/);
    expect(await runNodeFailure(cannyEdgesNode, { image: halves(), ...defaults, blur: "9" }, ctx)).toMatchObject({
      input: "blur",
    });
  });
});
