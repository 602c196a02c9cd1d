import { floatTensor, type FloatTensor, type IntTensor } from "@infix/engine";
import type { PackManifest } from "../pack/manifest.ts";
import type { AttentionControlFeeds } from "../sockets.ts";

/**
 * The UNet's extra inputs when no ControlNet and no attention edit is attached
 * (MODEL_PACK.md, unet.onnx): zero residuals shaped from `controlnet_residual_shapes`, and
 * the identity attention control, under which the graph equals the plain UNet.
 */

/** Zero ControlNet residuals for `rows` rows of an h×w latent, by UNet input name. */
export function zeroControlResiduals(
  manifest: PackManifest,
  rows: number,
  height: number,
  width: number,
): Record<string, FloatTensor> {
  const feeds: Record<string, FloatTensor> = {};
  if (manifest.unet.controlnet_residuals === 0) return feeds;
  manifest.unet.controlnet_residual_shapes.forEach((shape, index) => {
    // A downscale that does not divide the size rounds up, as the UNet's stride-2 convs (padding 1) do.
    const dims = [rows, shape.channels, Math.ceil(height / shape.downscale), Math.ceil(width / shape.downscale)];
    const name = shape.mid ? "mid_block_additional_residual" : `down_block_additional_residual_${index}`;
    feeds[name] = floatTensor(dims);
  });
  return feeds;
}

/** The identity attention control for `rows` rows: each row its own base, nothing mixed. */
export function identityAttentionControl(rows: number, tokens: number): AttentionControlFeeds {
  const own = new BigInt64Array(rows);
  for (let b = 0; b < rows; b++) own[b] = BigInt(b);
  return {
    crossAttnBase: own,
    crossAttnMap: new Float32Array(rows * tokens * tokens),
    crossAttnKeep: new Float32Array(rows * tokens).fill(1),
    selfAttnBase: own.slice(),
    selfAttnMix: new Float32Array(rows),
  };
}

/** The attention-control feeds as UNet inputs; `tokens` is text_max_length (77). */
export function attentionControlInputs(
  control: AttentionControlFeeds,
  rows: number,
  tokens: number,
): Record<string, FloatTensor | IntTensor> {
  return {
    cross_attn_base: { dims: [rows], data: control.crossAttnBase },
    cross_attn_map: { dims: [rows, tokens, tokens], data: control.crossAttnMap },
    cross_attn_keep: { dims: [rows, tokens], data: control.crossAttnKeep },
    self_attn_base: { dims: [rows], data: control.selfAttnBase },
    self_attn_mix: { dims: [rows], data: control.selfAttnMix },
  };
}
