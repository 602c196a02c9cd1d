/**
 * Images as the runtime passes them around: 8-bit sRGB, interleaved RGB, row-major, top row
 * first. Alpha travels apart as a float mask so RGB-only steps (resize, tensors) stay simple.
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width · height · 3 bytes: R, G, B of each pixel. */
  readonly data: Uint8Array;
}

/** A black (or given colour) image; mainly for tests and placeholders. */
export function createRgbImage(
  width: number,
  height: number,
  fill: readonly [number, number, number] = [0, 0, 0],
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = fill[0];
    data[i + 1] = fill[1];
    data[i + 2] = fill[2];
  }
  return { width, height, data };
}

export type ImageErrorCode = "undecodable" | "too-large" | "invalid-image";

/** Why an image could not be read, resized or written; the message says what to do. */
export class ImageError extends Error {
  override readonly name = "ImageError";
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Checks that `data` holds exactly width · height · 3 bytes. */
export function assertRgbImage(image: RgbImage): void {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width <= 0 || image.height <= 0) {
    throw new ImageError("invalid-image", `image size ${image.width}×${image.height} is not a positive whole size`);
  }
  if (image.data.length !== image.width * image.height * 3) {
    throw new ImageError(
      "invalid-image",
      `a ${image.width}×${image.height} RGB image needs ${image.width * image.height * 3} bytes, got ${image.data.length}`,
    );
  }
}
