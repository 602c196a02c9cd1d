import {
  centerCropShortestSide,
  imagesToTensor,
  resizeBicubicPil,
  type FloatTensor,
  type RgbImage,
} from "@infix/engine";
import type { PackManifest } from "../pack/manifest.ts";

/**
 * The Q-Former's image preprocessing. `squash`: diffusers' BlipImageProcessor, PIL bicubic
 * straight to S×S; `center_crop`: LAVIS' BLIP eval transform, shortest side to S (PIL
 * bicubic) then a centered S×S crop. Both byte-exact to Pillow, then scaled to [0,1] and
 * normalised with the manifest's mean/std.
 */
export const SUBJECT_RESIZE_MODES = ["squash", "center_crop"] as const;
export type SubjectResizeMode = (typeof SUBJECT_RESIZE_MODES)[number];

/** Resizes one image to the Q-Former's S×S input as `mode` says. */
export function resizeForQFormer(image: RgbImage, size: number, mode: SubjectResizeMode): RgbImage {
  return mode === "squash" ? resizeBicubicPil(image, size, size) : centerCropShortestSide(image, size);
}

/** `pixel_values` [B,3,S,S] for the Q-Former from reference images of any size. */
export function qformerPixelValues(
  images: readonly RgbImage[],
  manifest: PackManifest,
  mode: SubjectResizeMode,
): FloatTensor {
  const { image_size: size, image_mean: mean, image_std: std } = manifest.qformer;
  const resized = images.map((image) => resizeForQFormer(image, size, mode));
  return imagesToTensor(resized, { kind: "meanStd", mean, std });
}
