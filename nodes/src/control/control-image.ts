import { imagesToTensor, resizeBicubicPil, type FloatTensor } from "@infix/engine";
import { imageBatchToRgb } from "../image/image-batch.ts";
import { inputError } from "../inputs.ts";
import type { ImageBatch } from "../sockets.ts";

/**
 * A ControlNet's condition tensor as diffusers `BlipDiffusionControlNetPipeline.prepare_control_image`
 * makes it: `BlipImageProcessor.preprocess(size=(H, W), do_rescale=True, do_center_crop=False,
 * do_normalize=False)` — each 8-bit picture resized straight to W×H with Pillow's BICUBIC (a
 * picture already that size is left alone), scaled by 1/255 — then one picture repeated over
 * the batch, and the whole stacked twice for classifier-free guidance ([uncond; cond] rows).
 * @returns [rows, 3, H, W] float32 in [0,1], rows = batch (×2 when guided)
 */
export function prepareControlImage(
  condition: ImageBatch,
  width: number,
  height: number,
  batch: number,
  guided: boolean,
): FloatTensor {
  const pictures = imageBatchToRgb(condition);
  if (pictures.length !== 1 && pictures.length !== batch)
    throw inputError(
      "control",
      `The ControlNet condition has ${pictures.length} pictures but the latent batch has ${batch}; give one picture or one per latent.`,
      `1 or ${batch} pictures`,
      String(pictures.length),
    );
  const resized = pictures.map((picture) =>
    picture.width === width && picture.height === height ? picture : resizeBicubicPil(picture, width, height),
  );
  const perBatch = resized.length === 1 ? Array.from({ length: batch }, () => resized[0]) : resized;
  return imagesToTensor(guided ? [...perBatch, ...perBatch] : perBatch, { kind: "unit" });
}
