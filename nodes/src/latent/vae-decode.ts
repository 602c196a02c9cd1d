import { floatTensor, type FloatTensor, type NodeDefinition } from "@infix/engine";
import { taggedInput } from "../inputs.ts";
import { packInput, runGraph } from "../model/pack-input.ts";
import type { ModelPack } from "../pack/types.ts";
import type { ImageBatch, LatentBatch } from "../sockets.ts";

/**
 * diffusers `BlipDiffusionPipeline`: `vae.decode(latents / scaling_factor)`, then
 * `(x / 2 + 0.5).clamp(0, 1)`, all in float32. Returns [B,3,H,W] in [0,1].
 */
export async function decodeLatents(pack: ModelPack, latents: FloatTensor, signal?: AbortSignal): Promise<FloatTensor> {
  const scale = Math.fround(pack.manifest.vae.scaling_factor);
  const unscaled = new Float32Array(latents.data.length);
  for (let i = 0; i < unscaled.length; i++) unscaled[i] = latents.data[i] / scale;
  const decoded = await runGraph(
    pack,
    "vae_decoder",
    { latent_sample: floatTensor(latents.dims, unscaled) },
    "sample",
    signal,
  );
  const pixels = new Float32Array(decoded.data.length);
  for (let i = 0; i < pixels.length; i++) {
    const unit = Math.fround(Math.fround(decoded.data[i] / 2) + 0.5);
    pixels[i] = unit < 0 ? 0 : unit > 1 ? 1 : unit;
  }
  return floatTensor(decoded.dims, pixels);
}

/** VAE Decode: latents → images. */
export const vaeDecodeNode: NodeDefinition = {
  schema: {
    type: "VAEDecode",
    version: 1,
    category: "latent",
    title: "VAE Decode",
    description: "Turns latents into pictures with the pack's VAE decoder.",
    inputs: [
      { name: "pack", type: "MODEL_PACK" },
      { name: "latent", type: "LATENT" },
    ],
    outputs: [{ name: "images", type: "IMAGE" }],
    isOutput: false,
  },
  async run(inputs, ctx) {
    const pack = packInput(inputs);
    const latent = taggedInput<LatentBatch>(inputs, "latent", "LATENT");
    const pixels = await decodeLatents(pack, latent.samples, ctx.signal);
    const images: ImageBatch = { type: "IMAGE", pixels, sourceHashes: [] };
    return { images };
  },
};
