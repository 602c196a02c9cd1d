import { decodeImage, type FloatTensor } from "@infix/engine";

/**
 * How the reference tests measure Infix against diffusers and LAVIS: the largest absolute
 * difference of two tensors, and 8-bit pictures that may differ only where the float value sits
 * on a rounding boundary (k + 0.5 levels), by one level. The bars themselves stay in the tests.
 */

/** max |ours − theirs| over all values; throws when the sizes differ (`what` names the tensor). */
export function maxAbsDiff(ours: ArrayLike<number>, theirs: ArrayLike<number>, what = "tensor"): number {
  if (ours.length !== theirs.length) throw new Error(`${what}: ${ours.length} values, reference has ${theirs.length}`);
  let max = 0;
  for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
  return max;
}

/** The fixtures' name for a sampler step's tensors: `step07`. */
export const stepName = (step: number): string => `step${String(step).padStart(2, "0")}`;

/** Pictures [B,H,W,3] (as the references record them) in Infix's layout [B,3,H,W]. */
export function hwcToChw(image: Float32Array, batch: number, height: number, width: number): Float32Array {
  const out = new Float32Array(image.length);
  for (let b = 0; b < batch; b++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < 3; c++)
          out[((b * 3 + c) * height + y) * width + x] = image[((b * height + y) * width + x) * 3 + c];
  return out;
}

/** Where two 8-bit pictures differ, measured against the float picture they were rounded from. */
export interface EightBitComparison {
  /** How many 8-bit values differ. */
  flips: number;
  /** The largest difference in levels (1 for a rounding-boundary flip). */
  largestStep: number;
  /** Over the differing values: the farthest the reference's value×255 lies from its k + 0.5 boundary. */
  farthestFromBoundary: number;
}

/**
 * Compares our 8-bit values with the reference's, both rounded from floats in [0,1] whose
 * reference values are `reference` (same layout). A value rounded the other way is fine only
 * when the float lies at a rounding boundary, which the test bounds with `farthestFromBoundary`.
 */
export function compareEightBit(ours: Uint8Array, theirs: Uint8Array, reference: Float32Array): EightBitComparison {
  if (ours.length !== reference.length || theirs.length !== reference.length)
    throw new Error(`8-bit pictures of ${ours.length} and ${theirs.length} values for ${reference.length} floats`);
  let flips = 0;
  let largestStep = 0;
  let farthestFromBoundary = 0;
  for (let i = 0; i < reference.length; i++) {
    if (ours[i] === theirs[i]) continue;
    flips++;
    largestStep = Math.max(largestStep, Math.abs(ours[i] - theirs[i]));
    const levels = reference[i] * 255;
    farthestFromBoundary = Math.max(farthestFromBoundary, Math.abs(levels - (Math.floor(levels) + 0.5)));
  }
  return { flips, largestStep, farthestFromBoundary };
}

export interface ImageComparison extends EightBitComparison {
  /** max |Δ| of the float pictures. */
  floatError: number;
  /** Width and height of our PNG. */
  pngSize: [number, number];
}

/**
 * Our decoded picture (`pixels` [1,3,H,W] and the PNG we saved) against a diffusers case's:
 * its float `image` [1,H,W,3] and its PNG.
 */
export async function compareWithReferenceImage(
  pixels: FloatTensor,
  ourPng: Uint8Array,
  reference: { image: Float32Array; png: Uint8Array },
): Promise<ImageComparison> {
  const [, , height, width] = pixels.dims;
  const floatError = maxAbsDiff(pixels.data, hwcToChw(reference.image, 1, height, width), "image");
  const ours = (await decodeImage(ourPng)).image;
  const theirs = (await decodeImage(reference.png)).image;
  return {
    floatError,
    pngSize: [ours.width, ours.height],
    ...compareEightBit(ours.data, theirs.data, reference.image),
  };
}
