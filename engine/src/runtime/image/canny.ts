import { assertByteImage, type ByteImage } from "./byte-image.ts";
import { ImageError } from "./rgb-image.ts";

/**
 * The Canny edge detector (Canny 1986) exactly as OpenCV's `cv2.Canny(img, low, high,
 * apertureSize=3, L2gradient)` computes it on 8-bit images (imgproc/src/canny.cpp):
 * - 3×3 Sobel derivatives in integers, borders replicated; on colour input, per pixel the
 *   channel with the largest magnitude (the first on ties) gives dx, dy and the magnitude;
 * - magnitude |dx| + |dy| (L1, the default) or dx² + dy² (L2, thresholds then squared);
 * - non-maximum suppression along the gradient direction quantised with tan 22.5° in 15-bit
 *   fixed point: horizontal needs m > left and m ≥ right, vertical m > above and m ≥ below,
 *   diagonal strictly greater than both neighbours; outside the image the magnitude is 0;
 * - double threshold with integer floors of the thresholds (swapped when low > high):
 *   maxima with m > high seed edges, and hysteresis follows 8-connected maxima with m > low.
 */

export interface CannyOptions {
  /** Hysteresis thresholds on the gradient magnitude, ≥ 0 (OpenCV's threshold1/threshold2). */
  readonly low: number;
  readonly high: number;
  /** √(dx² + dy²) instead of |dx| + |dy|. */
  readonly l2Gradient?: boolean;
}

const CANNY_SHIFT = 15;
/** tan(22.5°) · 2^15, rounded as OpenCV's TG22. */
const TG22 = Math.floor((Math.SQRT2 - 1) * (1 << CANNY_SHIFT) + 0.5); // 13573

/** The integer thresholds OpenCV compares against: swapped into order, squared for L2, floored. */
function integerThresholds(options: CannyOptions): [number, number] {
  let low = options.low;
  let high = options.high;
  if (!(low >= 0 && high >= 0 && Number.isFinite(low) && Number.isFinite(high)))
    throw new ImageError("invalid-image", `Canny thresholds must be finite and ≥ 0, got ${low} and ${high}`);
  if (low > high) [low, high] = [high, low];
  if (options.l2Gradient) {
    low = Math.min(32767, low);
    high = Math.min(32767, high);
    low *= low;
    high *= high;
  }
  return [Math.floor(low), Math.floor(high)];
}

/**
 * Sobel dx, dy and magnitude of every pixel (the strongest channel's), into arrays padded by
 * one zero pixel on each side for the magnitude.
 */
function gradients(image: ByteImage, l2: boolean) {
  const { width, height, channels, data } = image;
  const paddedWidth = width + 2;
  const magnitude = new Int32Array(paddedWidth * (height + 2));
  const dxs = new Int32Array(width * height);
  const dys = new Int32Array(width * height);
  const stride = width * channels;
  for (let y = 0; y < height; y++) {
    const above = Math.max(y - 1, 0) * stride;
    const row = y * stride;
    const below = Math.min(y + 1, height - 1) * stride;
    for (let x = 0; x < width; x++) {
      const left = Math.max(x - 1, 0) * channels;
      const here = x * channels;
      const right = Math.min(x + 1, width - 1) * channels;
      let best = -1;
      let bestDx = 0;
      let bestDy = 0;
      for (let c = 0; c < channels; c++) {
        const dx =
          data[above + right + c] -
          data[above + left + c] +
          2 * (data[row + right + c] - data[row + left + c]) +
          data[below + right + c] -
          data[below + left + c];
        const dy =
          data[below + left + c] -
          data[above + left + c] +
          2 * (data[below + here + c] - data[above + here + c]) +
          data[below + right + c] -
          data[above + right + c];
        const m = l2 ? dx * dx + dy * dy : Math.abs(dx) + Math.abs(dy);
        if (m > best) {
          best = m;
          bestDx = dx;
          bestDy = dy;
        }
      }
      magnitude[(y + 1) * paddedWidth + x + 1] = best;
      dxs[y * width + x] = bestDx;
      dys[y * width + x] = bestDy;
    }
  }
  return { magnitude, dxs, dys, paddedWidth };
}

const NOT_EDGE = 1;
const CANDIDATE = 0;
const EDGE = 2;

/**
 * Edge map of an 8-bit gray or RGB image: 255 on edges, 0 elsewhere, one byte per pixel.
 * @example cannyEdges(gray, { low: 100, high: 200 }) // cv2.Canny(gray, 100, 200)
 */
export function cannyEdges(image: ByteImage, options: CannyOptions): Uint8Array {
  assertByteImage(image);
  const [low, high] = integerThresholds(options);
  const { width, height } = image;
  const { magnitude, dxs, dys, paddedWidth } = gradients(image, options.l2Gradient ?? false);
  // The map shares the magnitude's padding; its border stays NOT_EDGE so hysteresis stops there.
  const map = new Uint8Array(paddedWidth * (height + 2)).fill(NOT_EDGE);
  const stack: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y + 1) * paddedWidth + x + 1;
      const m = magnitude[at];
      if (!(m > low)) continue;
      const xs = dxs[y * width + x];
      const ys = dys[y * width + x];
      const ax = Math.abs(xs);
      const ay = Math.abs(ys) * (1 << CANNY_SHIFT);
      const tg22x = ax * TG22;
      let maximum: boolean;
      if (ay < tg22x) {
        maximum = m > magnitude[at - 1] && m >= magnitude[at + 1];
      } else if (ay > tg22x + ax * (1 << (CANNY_SHIFT + 1))) {
        maximum = m > magnitude[at - paddedWidth] && m >= magnitude[at + paddedWidth];
      } else {
        const s = (xs ^ ys) < 0 ? -1 : 1;
        maximum = m > magnitude[at - paddedWidth - s] && m > magnitude[at + paddedWidth + s];
      }
      if (!maximum) continue;
      if (m > high) {
        map[at] = EDGE;
        stack.push(at);
      } else map[at] = CANDIDATE;
    }
  }
  // Hysteresis: grow edges into 8-connected candidates.
  const neighbours = [
    -1,
    1,
    -paddedWidth - 1,
    -paddedWidth,
    -paddedWidth + 1,
    paddedWidth - 1,
    paddedWidth,
    paddedWidth + 1,
  ];
  while (stack.length > 0) {
    const at = stack.pop() as number;
    for (const offset of neighbours) {
      if (map[at + offset] === CANDIDATE) {
        map[at + offset] = EDGE;
        stack.push(at + offset);
      }
    }
  }
  const edges = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) if (map[(y + 1) * paddedWidth + x + 1] === EDGE) edges[y * width + x] = 255;
  return edges;
}
