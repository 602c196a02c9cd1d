import { resizeBicubicPil } from "./pil-bicubic.ts";
import { assertRgbImage, ImageError, type RgbImage } from "./rgb-image.ts";

/**
 * Bringing a picture to a target size, with Pillow's bicubic filter (the one diffusers' image
 * processors use): `stretch` resizes straight to it (aspect not kept), `crop` scales until it
 * covers the target and cuts the middle out, `pad` scales until it fits and centres it on black.
 */
export type FitMode = "stretch" | "crop" | "pad";

export const FIT_MODES: readonly FitMode[] = ["stretch", "crop", "pad"];

/**
 * The picture at exactly `width`×`height`.
 * @example fitImage(photo, 512, 512, "crop") // the largest centred square, resized to 512×512
 */
export function fitImage(image: RgbImage, width: number, height: number, mode: FitMode): RgbImage {
  assertRgbImage(image);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new ImageError("invalid-image", `cannot fit to ${width}×${height}: sizes must be positive whole numbers`);
  if (mode === "stretch") return resizeBicubicPil(image, width, height);
  const scale =
    mode === "crop"
      ? Math.max(width / image.width, height / image.height)
      : Math.min(width / image.width, height / image.height);
  // Rounded, then clamped so a cover never falls one pixel short and a fit never overflows.
  const clampSide = (value: number, target: number) =>
    mode === "crop" ? Math.max(target, Math.round(value)) : Math.max(1, Math.min(target, Math.round(value)));
  const scaledWidth = clampSide(image.width * scale, width);
  const scaledHeight = clampSide(image.height * scale, height);
  const scaled = resizeBicubicPil(image, scaledWidth, scaledHeight);
  const out = new Uint8Array(width * height * 3);
  // crop: offset into the scaled picture; pad: offset of the scaled picture on the canvas.
  const offsetX = Math.floor(Math.abs(scaledWidth - width) / 2);
  const offsetY = Math.floor(Math.abs(scaledHeight - height) / 2);
  if (mode === "crop") {
    for (let y = 0; y < height; y++) {
      const from = ((y + offsetY) * scaledWidth + offsetX) * 3;
      out.set(scaled.data.subarray(from, from + width * 3), y * width * 3);
    }
  } else {
    for (let y = 0; y < scaledHeight; y++) {
      const from = y * scaledWidth * 3;
      out.set(scaled.data.subarray(from, from + scaledWidth * 3), ((y + offsetY) * width + offsetX) * 3);
    }
  }
  return { width, height, data: out };
}
