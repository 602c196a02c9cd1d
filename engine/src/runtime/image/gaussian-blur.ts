import { assertByteImage, type ByteImage } from "./byte-image.ts";
import { ImageError } from "./rgb-image.ts";

/**
 * OpenCV's `GaussianBlur(img, (k, k), 0)` on 8-bit images, bit for bit. With σ = 0 and k ≤ 7
 * OpenCV takes its tabulated kernels (getGaussianKernel's small_gaussian_tab), which are exact
 * in its 8-fractional-bit fixed point, so the separable sum is exact and only the final
 * rounding (half up, 16 fractional bits) matters. Borders reflect without repeating the edge
 * pixel (BORDER_REFLECT_101, OpenCV's default).
 */

/** The tabulated kernels in units of 1/256. */
const KERNELS: Readonly<Record<number, readonly number[]>> = {
  3: [64, 128, 64],
  5: [16, 64, 96, 64, 16],
  7: [8, 28, 56, 72, 56, 28, 8],
};

/** The kernel sizes `gaussianBlur` takes. */
export const GAUSSIAN_BLUR_SIZES: readonly number[] = [3, 5, 7];

/** Index `i` reflected into [0, n) as BORDER_REFLECT_101 does (…, 2, 1 | 0, 1, 2, … n−1 | n−2, …). */
function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

/**
 * Blurs with a k×k Gaussian (k = 3, 5 or 7; σ from k as OpenCV's 0.3·((k−1)/2 − 1) + 0.8).
 * @example gaussianBlur(gray, 5) // cv2.GaussianBlur(gray, (5, 5), 0)
 */
export function gaussianBlur(image: ByteImage, size: number): ByteImage {
  assertByteImage(image);
  const kernel = KERNELS[size];
  if (!kernel)
    throw new ImageError("invalid-image", `Gaussian blur size ${size} is not one of ${GAUSSIAN_BLUR_SIZES.join(", ")}`);
  const { width, height, channels, data } = image;
  const radius = (size - 1) / 2;
  // Horizontal pass, exact in units of 1/256 (at most 255·256).
  const rows = new Int32Array(width * height * channels);
  const columns = Array.from({ length: width }, (_, x) =>
    kernel.map((_, k) => reflect101(x + k - radius, width) * channels),
  );
  for (let y = 0; y < height; y++) {
    const line = y * width * channels;
    for (let x = 0; x < width; x++) {
      const taps = columns[x];
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < size; k++) sum += kernel[k] * data[line + taps[k] + c];
        rows[line + x * channels + c] = sum;
      }
    }
  }
  // Vertical pass in units of 1/65536, then rounded half up to a byte.
  const out = new Uint8Array(data.length);
  const stride = width * channels;
  for (let y = 0; y < height; y++) {
    const taps = kernel.map((_, k) => reflect101(y + k - radius, height) * stride);
    for (let i = 0; i < stride; i++) {
      let sum = 0;
      for (let k = 0; k < size; k++) sum += kernel[k] * rows[taps[k] + i];
      out[y * stride + i] = Math.min(255, (sum + 32768) >>> 16);
    }
  }
  return { width, height, channels, data: out };
}
