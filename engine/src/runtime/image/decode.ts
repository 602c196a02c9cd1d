import sharp, { type Metadata } from "sharp";
import type { FloatTensor } from "../tensor.ts";
import { ImageError, type RgbImage } from "./rgb-image.ts";

/** Decoding PNG / JPEG / WebP (anything libvips reads) to RGB plus an optional alpha mask. */

export interface DecodedImage {
  readonly image: RgbImage;
  /** Alpha as [1,H,W] in [0,1] (1 = opaque), present only when the file has an alpha channel. */
  readonly alpha?: FloatTensor;
}

export interface DecodeOptions {
  /** Largest accepted width · height; default DEFAULT_MAX_PIXELS (16 Mi pixels, 4096×4096). */
  maxPixels?: number;
  /** How errors name the input (e.g. `"dog.png" in the input folder`); bytes default to "the N-byte upload". */
  label?: string;
}

/**
 * The pixel budget of a decoded picture: 4096×4096. An 8192×8192 RGBA PNG of 275 KB cost
 * 2.7 GB on its way through Load Image and Preview Image (issue 14); BLIP-Diffusion works at
 * 512², so a picture this large is only ever scaled down.
 */
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

/**
 * Decodes an image file (bytes or a path), applying its EXIF orientation and converting to
 * 8-bit sRGB. Rejects data that is not an image, and images over `maxPixels`, with an
 * `ImageError` that says which.
 *
 * @example
 * const { image, alpha } = await decodeImage(await readFile("input/dog.png"));
 */
export async function decodeImage(input: Uint8Array | string, options: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const source = typeof input === "string" ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const what = options.label ?? (typeof input === "string" ? input : `the ${input.byteLength}-byte upload`);
  let metadata: Metadata;
  try {
    // limitInputPixels is a second guard: libvips refuses to decode more than that.
    metadata = await sharp(source, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageError(
      "undecodable",
      `${what} is not an image that can be read (PNG, JPEG or WebP): ${(error as Error).message}`,
    );
  }
  const width = metadata.autoOrient?.width ?? metadata.width;
  const height = metadata.autoOrient?.height ?? metadata.height;
  if (!width || !height) throw new ImageError("undecodable", `${what} has no pixel size`);
  if (width * height > maxPixels) {
    throw new ImageError(
      "too-large",
      `${what} is ${width}×${height} pixels, over the limit of ${maxPixels} pixels; scale it down first`,
    );
  }
  const hasAlpha = metadata.hasAlpha === true;
  try {
    let pipeline = sharp(source, { limitInputPixels: maxPixels }).autoOrient().toColourspace("srgb");
    pipeline = hasAlpha ? pipeline.ensureAlpha() : pipeline.removeAlpha();
    const { data, info } = await pipeline.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    return splitChannels(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      info.width,
      info.height,
      info.channels,
    );
  } catch (error) {
    throw new ImageError("undecodable", `${what} could not be decoded: ${(error as Error).message}`);
  }
}

function splitChannels(data: Uint8Array, width: number, height: number, channels: number): DecodedImage {
  const pixels = width * height;
  if (channels === 3) return { image: { width, height, data } };
  if (channels !== 4) throw new ImageError("undecodable", `decoder returned ${channels} channels, expected 3 or 4`);
  const rgb = new Uint8Array(pixels * 3);
  const alpha = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    rgb[p * 3] = data[p * 4];
    rgb[p * 3 + 1] = data[p * 4 + 1];
    rgb[p * 3 + 2] = data[p * 4 + 2];
    alpha[p] = data[p * 4 + 3] / 255;
  }
  return { image: { width, height, data: rgb }, alpha: { dims: [1, height, width], data: alpha } };
}
