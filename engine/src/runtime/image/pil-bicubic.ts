/**
 * Pillow's `Image.resize(size, Image.BICUBIC)` on 8-bit RGB, bit for bit (Pillow
 * src/libImaging/Resample.c: `precompute_coeffs`, `normalize_coeffs_8bpc`,
 * `ImagingResampleHorizontal_8bpc` / `…Vertical_8bpc`, `ImagingResampleInner`), because
 * BLIP-Diffusion's reference preprocessing resizes with PIL and the Q-Former sees the result.
 *
 * The filter is Keys' cubic with a = −0.5 and support 2, widened by the downscale factor
 * (so downscaling antialiases). Per output pixel, weights are computed in double, divided
 * by their sum, and turned into 22-bit fixed point (PRECISION_BITS = 32 − 8 − 2), rounding
 * half away from zero. The horizontal pass runs first, over the source rows the vertical
 * pass will read, and its results are rounded and clipped to 8 bits before the vertical pass.
 * `resize` uses no reducing_gap by default, so there is no box pre-reduction.
 */

import { assertRgbImage, ImageError, type RgbImage } from "./rgb-image.ts";

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const BICUBIC_SUPPORT = 2;
const A = -0.5;

/** Keys' cubic convolution kernel with a = −0.5, in Pillow's operation order. */
function bicubicFilter(input: number): number {
  const x = input < 0 ? -input : input;
  if (x < 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * A;
  return 0;
}

/** Fixed-point weights of one axis: for output i, `count[i]` taps from input `first[i]`, weights at `weights[i·taps …]`. */
interface AxisCoefficients {
  taps: number;
  first: Int32Array;
  count: Int32Array;
  weights: Int32Array;
}

/** `precompute_coeffs` + `normalize_coeffs_8bpc` for resampling [in0, in1) of `inSize` onto `outSize` samples. */
function axisCoefficients(inSize: number, in0: number, in1: number, outSize: number): AxisCoefficients {
  const scale = (in1 - in0) / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = BICUBIC_SUPPORT * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const row = new Float64Array(taps);
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    const inverseScale = 1 / filterScale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubicFilter((x + xmin - center + 0.5) * inverseScale);
      row[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? row[x] / sum : row[x];
      weights[xx * taps + x] =
        w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { taps, first, count, weights };
}

/** Pillow's `clip8`: drop the fixed-point fraction and clamp to [0, 255]. */
function clip8(value: number): number {
  if (value >= (1 << PRECISION_BITS) << 8) return 255;
  if (value <= 0) return 0;
  return value >> PRECISION_BITS;
}

/** Horizontal pass over source rows [rowOffset, rowOffset + rows). */
function resampleHorizontal(
  src: RgbImage,
  outWidth: number,
  rowOffset: number,
  rows: number,
  k: AxisCoefficients,
): Uint8Array {
  const out = new Uint8Array(outWidth * rows * 3);
  for (let y = 0; y < rows; y++) {
    const srcRow = (y + rowOffset) * src.width * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = k.first[xx];
      const n = k.count[xx];
      const base = xx * k.taps;
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let x = 0; x < n; x++) {
        const w = k.weights[base + x];
        const p = srcRow + (x + xmin) * 3;
        s0 += src.data[p] * w;
        s1 += src.data[p + 1] * w;
        s2 += src.data[p + 2] * w;
      }
      const o = (y * outWidth + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}

/** Vertical pass; `rowShift` is subtracted from the coefficients' first rows (the horizontal pass kept only the rows used). */
function resampleVertical(src: RgbImage, outHeight: number, rowShift: number, k: AxisCoefficients): Uint8Array {
  const width = src.width;
  const out = new Uint8Array(width * outHeight * 3);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = k.first[yy] - rowShift;
    const n = k.count[yy];
    const base = yy * k.taps;
    for (let xx = 0; xx < width; xx++) {
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      for (let y = 0; y < n; y++) {
        const w = k.weights[base + y];
        const p = ((ymin + y) * width + xx) * 3;
        s0 += src.data[p] * w;
        s1 += src.data[p + 1] * w;
        s2 += src.data[p + 2] * w;
      }
      const o = (yy * width + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}

function checkImage(image: RgbImage, width: number, height: number): void {
  assertRgbImage(image);
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new ImageError(
      "invalid-image",
      `target size ${width}×${height} is not a positive whole size; pick a width and height of at least 1`,
    );
  }
}

/**
 * Resizes like Pillow's `image.resize((width, height), Image.BICUBIC)` on an RGB image.
 * @example const small = resizeBicubicPil({ width: 640, height: 480, data }, 224, 224);
 */
export function resizeBicubicPil(src: RgbImage, width: number, height: number): RgbImage {
  checkImage(src, width, height);
  if (width === src.width && height === src.height) return { width, height, data: src.data.slice() };
  const needHorizontal = width !== src.width;
  const needVertical = height !== src.height;
  const horizontal = axisCoefficients(src.width, 0, src.width, width);
  const vertical = axisCoefficients(src.height, 0, src.height, height);
  let current: RgbImage = src;
  let rowShift = 0;
  if (needHorizontal) {
    const firstRow = vertical.first[0];
    const lastRow = vertical.first[height - 1] + vertical.count[height - 1];
    current = {
      width,
      height: lastRow - firstRow,
      data: resampleHorizontal(src, width, firstRow, lastRow - firstRow, horizontal),
    };
    rowShift = firstRow;
  }
  if (needVertical)
    current = { width: current.width, height, data: resampleVertical(current, height, rowShift, vertical) };
  return current;
}

/**
 * LAVIS-style preprocessing: torchvision `Resize(size)` (shorter side to `size`, the longer
 * one to ⌊size·long/short⌋, Pillow bicubic) then `CenterCrop(size)` (offsets rounded with
 * Python's round-half-to-even, as torchvision's `int(round((h − size)/2))`).
 */
export function centerCropShortestSide(src: RgbImage, size: number): RgbImage {
  checkImage(src, size, size);
  const { width: w, height: h } = src;
  const [short, long] = w <= h ? [w, h] : [h, w];
  const newLong = Math.trunc((size * long) / short);
  const [newW, newH] = w <= h ? [size, newLong] : [newLong, size];
  const resized = newW === w && newH === h ? src : resizeBicubicPil(src, newW, newH);
  const top = roundHalfEven((newH - size) / 2);
  const left = roundHalfEven((newW - size) / 2);
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const from = ((y + top) * newW + left) * 3;
    data.set(resized.data.subarray(from, from + size * 3), y * size * 3);
  }
  return { width: size, height: size, data };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
