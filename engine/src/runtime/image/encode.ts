import sharp from "sharp";
import type { FloatTensor } from "../tensor.ts";
import { assertRgbImage, ImageError, type RgbImage } from "./rgb-image.ts";

export interface EncodePngOptions {
  /** Alpha as [1,H,W] in [0,1] (1 = opaque); written as an RGBA PNG. */
  alpha?: FloatTensor;
  /** zlib level 0–9; default 6 (Pillow's default too). */
  compressionLevel?: number;
}

/**
 * Encodes an RGB image (and optional alpha) as PNG bytes. Metadata chunks (the workflow) are
 * added by the caller.
 *
 * @example
 * await writeFile("out.png", await encodePng(image));
 */
export async function encodePng(image: RgbImage, options: EncodePngOptions = {}): Promise<Uint8Array> {
  assertRgbImage(image);
  const { width, height } = image;
  let raw: Uint8Array = image.data;
  let channels: 3 | 4 = 3;
  if (options.alpha) {
    const { dims, data } = options.alpha;
    if (dims.length !== 3 || dims[0] !== 1 || dims[1] !== height || dims[2] !== width) {
      throw new ImageError("invalid-image", `alpha should be [1,${height},${width}], got [${dims.join(",")}]`);
    }
    raw = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      raw[p * 4] = image.data[p * 3];
      raw[p * 4 + 1] = image.data[p * 3 + 1];
      raw[p * 4 + 2] = image.data[p * 3 + 2];
      raw[p * 4 + 3] = Math.round(Math.min(1, Math.max(0, data[p])) * 255);
    }
    channels = 4;
  }
  const buffer = await sharp(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), {
    raw: { width, height, channels },
  })
    .png({ compressionLevel: options.compressionLevel ?? 6 })
    .toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
