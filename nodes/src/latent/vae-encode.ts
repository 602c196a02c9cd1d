import { floatTensor, type FloatTensor, type NodeDefinition } from "@infix/engine";
import { inputError, intInput, stringInput, taggedInput } from "../inputs.ts";
import { packInput, runGraphOutputs } from "../model/pack-input.ts";
import type { ModelPack } from "../pack/types.ts";
import type { ImageBatch, LatentBatch } from "../sockets.ts";
import { seededNormal } from "../sampling/noise.ts";

export const LATENT_SAMPLING_MODES = ["mean", "sample"] as const;
export type LatentSamplingMode = (typeof LATENT_SAMPLING_MODES)[number];

/**
 * Image [B,3,H,W] in [0,1] → latents: `2x − 1`, the VAE encoder, then the distribution's
 * mean (or `mean + exp(logvar/2)·ε` with seeded ε, diffusers `DiagonalGaussianDistribution
 * .sample`) times `scaling_factor`.
 */
export async function encodeImages(
  pack: ModelPack,
  pixels: FloatTensor,
  mode: LatentSamplingMode,
  seed: number,
  signal?: AbortSignal,
): Promise<FloatTensor> {
  const signed = new Float32Array(pixels.data.length);
  for (let i = 0; i < signed.length; i++) signed[i] = Math.fround(2 * pixels.data[i]) - 1;
  const outputs = await runGraphOutputs(
    pack,
    "vae_encoder",
    { sample: floatTensor(pixels.dims, signed) },
    ["latent_mean", "latent_logvar"],
    signal,
  );
  const mean = outputs.latent_mean;
  const scale = Math.fround(pack.manifest.vae.scaling_factor);
  const latents = new Float32Array(mean.data.length);
  if (mode === "sample") {
    const logvar = outputs.latent_logvar;
    const noise = seededNormal(seed, mean.dims);
    for (let i = 0; i < latents.length; i++) {
      const std = Math.fround(Math.exp(0.5 * logvar.data[i]));
      latents[i] = Math.fround(mean.data[i] + Math.fround(std * noise.data[i])) * scale;
    }
  } else {
    for (let i = 0; i < latents.length; i++) latents[i] = mean.data[i] * scale;
  }
  return floatTensor(mean.dims, latents);
}

/** VAE Encode: images → latents, for image-to-image. */
export const vaeEncodeNode: NodeDefinition = {
  schema: {
    type: "VAEEncode",
    version: 1,
    category: "latent",
    title: "VAE Encode",
    description:
      "Turns pictures into latents with the pack's VAE encoder (for image-to-image). Sizes must be multiples of the scale factor.",
    inputs: [
      { name: "pack", type: "MODEL_PACK" },
      { name: "images", type: "IMAGE" },
      {
        name: "mode",
        type: "STRING",
        description: "mean: the distribution's mean (deterministic); sample: a seeded draw.",
        widget: { kind: "ENUM", default: "mean", options: [...LATENT_SAMPLING_MODES] },
      },
      { name: "seed", type: "INT", widget: { kind: "SEED", default: 0 } },
    ],
    outputs: [{ name: "latent", type: "LATENT" }],
    isOutput: false,
  },
  async run(inputs, ctx) {
    const pack = packInput(inputs);
    const images = taggedInput<ImageBatch>(inputs, "images", "IMAGE");
    const mode = stringInput(inputs, "mode") as LatentSamplingMode;
    if (!LATENT_SAMPLING_MODES.includes(mode))
      throw inputError("mode", `Unknown mode "${mode}"; use mean or sample.`, "mean|sample", mode);
    const seed = intInput(inputs, "seed", 0);
    if (!pack.hasGraph("vae_encoder")) {
      throw inputError(
        "pack",
        `Model pack "${pack.id}" has no vae_encoder.onnx, which image-to-image needs; use a pack that includes it.`,
        "vae_encoder.onnx",
        "missing",
      );
    }
    const factor = pack.manifest.vae.scale_factor;
    const [, , height, width] = images.pixels.dims;
    if (height % factor !== 0 || width % factor !== 0) {
      throw inputError(
        "images",
        `The pictures are ${width}×${height}; the VAE needs multiples of ${factor}. Resize or crop them first.`,
        `multiples of ${factor}`,
        `${width}×${height}`,
      );
    }
    const samples = await encodeImages(pack, images.pixels, mode, seed, ctx.signal);
    const latent: LatentBatch = { type: "LATENT", samples };
    return { latent };
  },
};
