import type { FloatTensor } from "../tensor.ts";
import { assertRgbImage, ImageError, type RgbImage } from "./rgb-image.ts";

/**
 * RGB images ↔ NCHW float32 tensors, in the value ranges the models expect:
 * `unit` [0,1] (ControlNet conditions), `signed` [-1,1] (the VAE: 2x − 1), or `meanStd`
 * ((x/255 − mean) / std per channel, the Q-Former's CLIP normalisation).
 */
export type PixelScaling =
  | { readonly kind: "unit" }
  | { readonly kind: "signed" }
  | {
      readonly kind: "meanStd";
      readonly mean: readonly [number, number, number];
      readonly std: readonly [number, number, number];
    };

/**
 * Packs same-sized images into one [B,3,H,W] tensor.
 *
 * @example
 * const pixels = imagesToTensor([image], { kind: "meanStd", mean: manifest.qformer.image_mean, std: manifest.qformer.image_std });
 */
export function imagesToTensor(images: readonly RgbImage[], scaling: PixelScaling): FloatTensor {
  if (images.length === 0) throw new ImageError("invalid-image", "cannot make a tensor of no images");
  const { width, height } = images[0];
  const plane = width * height;
  const data = new Float32Array(images.length * 3 * plane);
  const tables = [0, 1, 2].map((c) => byteToValueTable(scaling, c));
  images.forEach((image, b) => {
    assertRgbImage(image);
    if (image.width !== width || image.height !== height) {
      throw new ImageError(
        "invalid-image",
        `images in one batch must share a size: ${image.width}×${image.height} differs from ${width}×${height}`,
      );
    }
    for (let c = 0; c < 3; c++) {
      const base = (b * 3 + c) * plane;
      const table = tables[c];
      for (let p = 0; p < plane; p++) data[base + p] = table[image.data[p * 3 + c]];
    }
  });
  return { dims: [images.length, 3, height, width], data };
}

/**
 * Unpacks a [B,3,H,W] tensor in [0,1] (`unit`) or [-1,1] (`signed`, e.g. the VAE decoder's
 * output) to images: clamped, times 255, rounded half to even as numpy does in diffusers'
 * `numpy_to_pil`.
 */
export function tensorToImages(tensor: FloatTensor, range: "unit" | "signed"): RgbImage[] {
  const { dims, data } = tensor;
  if (dims.length !== 4 || dims[1] !== 3)
    throw new ImageError("invalid-image", `expected an image tensor [B,3,H,W], got [${dims.join(",")}]`);
  const [batch, , height, width] = dims;
  const plane = width * height;
  const images: RgbImage[] = [];
  for (let b = 0; b < batch; b++) {
    const rgb = new Uint8Array(plane * 3);
    for (let c = 0; c < 3; c++) {
      const base = (b * 3 + c) * plane;
      for (let p = 0; p < plane; p++) {
        // diffusers: (x / 2 + 0.5).clamp(0, 1) for the VAE's output.
        // In float32 like torch/numpy: (x / 2 + 0.5), clamp, · 255, round.
        const unit = range === "signed" ? Math.fround(Math.fround(data[base + p] / 2) + 0.5) : data[base + p];
        const clamped = unit < 0 ? 0 : unit > 1 ? 1 : unit;
        rgb[p * 3 + c] = roundHalfEven(Math.fround(clamped * 255));
      }
    }
    images.push({ width, height, data: rgb });
  }
  return images;
}

/**
 * The value of each byte for one channel, computed step by step in float32 as torch does it
 * (ToTensor's x/255, then Normalize's (x − mean)/std, or the VAE processor's 2x − 1), so the
 * tensors match the reference preprocessing bit for bit.
 */
function byteToValueTable(scaling: PixelScaling, channel: number): Float32Array {
  const f = Math.fround;
  const table = new Float32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    const unit = f(byte / 255);
    if (scaling.kind === "unit") table[byte] = unit;
    else if (scaling.kind === "signed") table[byte] = f(f(2 * unit) - 1);
    else table[byte] = f(f(unit - f(scaling.mean[channel])) / f(scaling.std[channel]));
  }
  return table;
}

function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  // Math.round sends halves up; numpy sends them to the even neighbour.
  return rounded - value === 0.5 && rounded % 2 === 1 ? rounded - 1 : rounded;
}
