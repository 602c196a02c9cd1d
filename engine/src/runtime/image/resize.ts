import sharp from "sharp";
import { assertRgbImage, ImageError, type RgbImage } from "./rgb-image.ts";

/**
 * Resizing with libvips (through sharp). Its `cubic` kernel is Catmull-Rom, the a = −0.5
 * cubic that PIL's BICUBIC also uses, but sampling and rounding differ slightly; where the
 * reference pipeline's exact pixels matter, use the bit-exact Pillow port (pil-bicubic.ts).
 */

export type ResizeKernel = "nearest" | "linear" | "cubic" | "lanczos3";

/**
 * Resizes to exactly `width`×`height` (aspect ratio not kept), bicubic by default.
 *
 * @example
 * const small = await resizeImage(image, 224, 224);
 */
export async function resizeImage(
  image: RgbImage,
  width: number,
  height: number,
  kernel: ResizeKernel = "cubic",
): Promise<RgbImage> {
  assertRgbImage(image);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError("invalid-image", `cannot resize to ${width}×${height}: sizes must be positive whole numbers`);
  }
  if (width === image.width && height === image.height) return image;
  const { data, info } = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize(width, height, { fit: "fill", kernel })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/**
 * Cuts the `width`×`height` rectangle out of the middle, offsets rounded as torchvision's
 * CenterCrop does (`round((W − w) / 2)`).
 */
export function centerCrop(image: RgbImage, width: number, height: number): RgbImage {
  assertRgbImage(image);
  if (width > image.width || height > image.height || width <= 0 || height <= 0) {
    throw new ImageError(
      "invalid-image",
      `cannot crop ${width}×${height} out of a ${image.width}×${image.height} image`,
    );
  }
  const left = roundHalfEven((image.width - width) / 2);
  const top = roundHalfEven((image.height - height) / 2);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    data.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/**
 * Resizes so the shorter side is `size` (the longer one scaled to match, rounded down as
 * torchvision's Resize(int) does), then center-crops to `size`×`size`: LAVIS's BLIP image
 * preprocessing.
 */
export async function resizeShortestSideAndCenterCrop(
  image: RgbImage,
  size: number,
  kernel: ResizeKernel = "cubic",
): Promise<RgbImage> {
  assertRgbImage(image);
  const shortSide = Math.min(image.width, image.height);
  const longSide = Math.max(image.width, image.height);
  const scaledLong = Math.floor((size * longSide) / shortSide);
  const [width, height] = image.width <= image.height ? [size, scaledLong] : [scaledLong, size];
  return centerCrop(await resizeImage(image, width, height, kernel), size, size);
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
