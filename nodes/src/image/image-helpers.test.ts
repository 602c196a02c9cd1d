import { describe, expect, it } from "vitest";
import type { ImageBatch } from "../sockets.ts";
import { createTestContext, runNode, runNodeFailure } from "../testing/test-context.ts";
import { grayscaleNode } from "./grayscale.ts";
import { imageBatchFromRgb, imageBatchToRgb } from "./image-batch.ts";
import { invertImageNode } from "./invert-image.ts";
import { resizeImageNode } from "./resize-image.ts";

const ctx = createTestContext();

function picture(width: number, height: number): ImageBatch {
  const data = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37) % 256);
  return imageBatchFromRgb([{ width, height, data }], []);
}

describe("image helper nodes", () => {
  it("Grayscale gives OpenCV's rounded BT.601 luma in all three channels", async () => {
    const input = imageBatchFromRgb([{ width: 2, height: 1, data: new Uint8Array([10, 20, 30, 255, 0, 0]) }], []);
    const [gray] = imageBatchToRgb((await runNode(grayscaleNode, { image: input }, ctx)).image as ImageBatch);
    // (10·9798 + 20·19235 + 30·3735 + 2^14) >> 15 = 18; (255·9798 + 2^14) >> 15 = 76
    expect(Array.from(gray.data)).toEqual([18, 18, 18, 76, 76, 76]);
  });

  it("Invert Image gives 255 − v", async () => {
    const input = picture(3, 2);
    const [inverted] = imageBatchToRgb((await runNode(invertImageNode, { image: input }, ctx)).image as ImageBatch);
    const [original] = imageBatchToRgb(input);
    expect(Array.from(inverted.data)).toEqual(Array.from(original.data, (v) => 255 - v));
  });

  it("Resize Image crops, pads or stretches to the asked size", async () => {
    const input = picture(40, 20);
    for (const mode of ["crop", "pad", "stretch"]) {
      const out = (await runNode(resizeImageNode, { image: input, width: 16, height: 16, mode }, ctx))
        .image as ImageBatch;
      expect(out.pixels.dims, mode).toEqual([1, 3, 16, 16]);
    }
    const padded = (await runNode(resizeImageNode, { image: input, width: 16, height: 16, mode: "pad" }, ctx))
      .image as ImageBatch;
    // 40×20 fits as 16×8, centred: rows 0–3 and 12–15 stay black.
    const [rgb] = imageBatchToRgb(padded);
    expect(rgb.data.subarray(0, 16 * 4 * 3).every((v) => v === 0)).toBe(true);
    expect(rgb.data.subarray(16 * 4 * 3, 16 * 12 * 3).some((v) => v !== 0)).toBe(true);
    expect(
      await runNodeFailure(resizeImageNode, { image: input, width: 16, height: 16, mode: "zoom" }, ctx),
    ).toMatchObject({
      input: "mode",
    });
  });
});
