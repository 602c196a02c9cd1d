import { imagesToTensor, tensorToImages, type RgbImage } from "@infix/engine";
import type { ImageBatch } from "../sockets.ts";

/** Packs same-sized 8-bit RGB images into an IMAGE value ([B,3,H,W] in [0,1]). */
export function imageBatchFromRgb(images: readonly RgbImage[], sourceHashes: readonly string[]): ImageBatch {
  return { type: "IMAGE", pixels: imagesToTensor(images, { kind: "unit" }), sourceHashes: [...sourceHashes] };
}

/** Unpacks an IMAGE value to 8-bit RGB images (rounded as numpy does). */
export function imageBatchToRgb(batch: ImageBatch): RgbImage[] {
  return tensorToImages(batch.pixels, "unit");
}
