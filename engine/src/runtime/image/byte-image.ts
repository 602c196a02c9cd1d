import { ImageError, type RgbImage } from "./rgb-image.ts";

/**
 * 8-bit images with 1 or 3 interleaved channels, row-major: what OpenCV's 8U functions take
 * (`cv2.Canny`, `cv2.GaussianBlur`, `cv2.cvtColor`), so their integer arithmetic can be
 * reproduced exactly.
 */
export interface ByteImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  /** width · height · channels bytes. */
  readonly data: Uint8Array;
}

/** An RGB image as a 3-channel ByteImage (shares the bytes). */
export function byteImageOf(image: RgbImage): ByteImage {
  return { width: image.width, height: image.height, channels: 3, data: image.data };
}

/** Checks the size and byte count. */
export function assertByteImage(image: ByteImage): void {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new ImageError("invalid-image", `image size ${width}×${height} is not a positive whole size`);
  if (channels !== 1 && channels !== 3)
    throw new ImageError("invalid-image", `an 8-bit image has 1 or 3 channels, not ${String(channels)}`);
  if (data.length !== width * height * channels)
    throw new ImageError(
      "invalid-image",
      `a ${width}×${height}×${channels} image needs ${width * height * channels} bytes, got ${data.length}`,
    );
}

// OpenCV color_rgb: RGB2Gray<uchar> in 15-bit fixed point, rounded (0.299, 0.587, 0.114 · 2^15).
const GRAY_SHIFT = 15;
const R_TO_Y = 9798;
const G_TO_Y = 19235;
const B_TO_Y = 3735;

/**
 * Luma of an RGB image as OpenCV's `cvtColor(img, COLOR_RGB2GRAY)` computes it on 8-bit input:
 * ITU-R BT.601 weights in 15-bit fixed point, rounded half up.
 * @example rgbToGray(byteImageOf(rgb)).channels === 1
 */
export function rgbToGray(image: ByteImage): ByteImage {
  assertByteImage(image);
  if (image.channels === 1) return image;
  const plane = image.width * image.height;
  const out = new Uint8Array(plane);
  const src = image.data;
  const half = 1 << (GRAY_SHIFT - 1);
  for (let p = 0, i = 0; p < plane; p++, i += 3)
    out[p] = (src[i] * R_TO_Y + src[i + 1] * G_TO_Y + src[i + 2] * B_TO_Y + half) >> GRAY_SHIFT;
  return { width: image.width, height: image.height, channels: 1, data: out };
}

/** A gray image as RGB (each byte three times), e.g. an edge map for a ControlNet. */
export function grayToRgb(image: ByteImage): RgbImage {
  assertByteImage(image);
  if (image.channels === 3) return { width: image.width, height: image.height, data: image.data };
  const out = new Uint8Array(image.data.length * 3);
  for (let p = 0; p < image.data.length; p++) out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = image.data[p];
  return { width: image.width, height: image.height, data: out };
}
