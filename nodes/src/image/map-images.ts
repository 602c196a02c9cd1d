import type { RgbImage } from "@infix/engine";
import type { ImageBatch } from "../sockets.ts";
import { imageBatchFromRgb, imageBatchToRgb } from "./image-batch.ts";

/**
 * Applies an 8-bit picture operation to every image of a batch (the pictures as users' files
 * hold them, so OpenCV- and Pillow-exact operations apply); the results keep the sources' hashes.
 */
export function mapImages(batch: ImageBatch, operation: (image: RgbImage) => RgbImage): ImageBatch {
  return imageBatchFromRgb(imageBatchToRgb(batch).map(operation), batch.sourceHashes);
}
