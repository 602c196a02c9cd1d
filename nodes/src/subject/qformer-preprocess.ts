import { imagesToTensor, resizeImage, resizeShortestSideAndCenterCrop } from "@infix/engine";
import type { FloatTensor, RgbImage } from "@infix/engine";
import type { PackManifest } from "../pack/manifest.ts";

/**
 * The Q-Former's image preprocessing. `squash`: diffusers' BlipImageProcessor, bicubic
 * straight to S×S; `center_crop`: LAVIS' BLIP eval transform, shortest side to S then a
 * centered S×S crop. Both then scale to [0,1] and normalise with the manifest's mean/std.
 */
export const SUBJECT_RESIZE_MODES = ["squash", "center_crop"] as const;
export type SubjectResizeMode = (typeof SUBJECT_RESIZE_MODES)[number];

/** Resizes one image to the Q-Former's S×S input as `mode` says. */
export async function resizeForQFormer(image: RgbImage, size: number, mode: SubjectResizeMode): Promise<RgbImage> {
  return mode === "squash" ? resizeImage(image, size, size, "cubic") : resizeShortestSideAndCenterCrop(image, size, "cubic");
}

/** `pixel_values` [B,3,S,S] for the Q-Former from reference images of any size. */
export async function qformerPixelValues(images: readonly RgbImage[], manifest: PackManifest, mode: SubjectResizeMode): Promise<FloatTensor> {
  const { image_size: size, image_mean: mean, image_std: std } = manifest.qformer;
  const resized = await Promise.all(images.map((image) => resizeForQFormer(image, size, mode)));
  return imagesToTensor(resized, { kind: "meanStd", mean, std });
}
