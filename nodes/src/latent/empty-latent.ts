import { floatTensor } from "@infix/engine";
import type { NodeDefinition } from "@infix/engine";
import { inputError, intInput } from "../inputs.ts";
import { packInput } from "../model/pack-input.ts";
import type { LatentBatch } from "../sockets.ts";

/** Every released Stable-Diffusion-style VAE downsamples by 8; the node checks the pack's own factor at run time. */
const COMMON_SCALE_FACTOR = 8;

/** A pure check of width/height against a scale factor; one message per problem. */
export function checkLatentSize(width: unknown, height: unknown, scaleFactor: number): string[] {
  const problems: string[] = [];
  for (const [name, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (typeof value !== "number") continue;
    if (!Number.isInteger(value) || value <= 0 || value % scaleFactor !== 0) {
      const lower = Math.max(scaleFactor, Math.floor(value / scaleFactor) * scaleFactor);
      problems.push(
        `${name} ${value} is not a multiple of the VAE scale factor ${scaleFactor}; try ${lower} or ${lower + scaleFactor}.`,
      );
    }
  }
  return problems;
}

/** Empty Latent: zeros [B, latent_channels, H/f, W/f] to start text-to-image sampling from. */
export const emptyLatentNode: NodeDefinition = {
  schema: {
    type: "EmptyLatent",
    version: 1,
    category: "latent",
    title: "Empty Latent",
    description: "Zero latents of the given picture size and batch size; the Sampler adds the seeded noise.",
    inputs: [
      { name: "pack", type: "MODEL_PACK", description: "Gives the VAE's scale factor and latent channels." },
      { name: "width", type: "INT", widget: { kind: "INT", default: 512, min: 8, max: 2048, step: 8 } },
      { name: "height", type: "INT", widget: { kind: "INT", default: 512, min: 8, max: 2048, step: 8 } },
      { name: "batch_size", type: "INT", widget: { kind: "INT", default: 1, min: 1, max: 16 } },
    ],
    outputs: [{ name: "latent", type: "LATENT" }],
    isOutput: false,
  },
  validate: (values) => checkLatentSize(values.width, values.height, COMMON_SCALE_FACTOR),
  async run(inputs) {
    const pack = packInput(inputs);
    const { scale_factor: scaleFactor, latent_channels: channels } = pack.manifest.vae;
    const width = intInput(inputs, "width", 1);
    const height = intInput(inputs, "height", 1);
    const batch = intInput(inputs, "batch_size", 1);
    const [problem] = checkLatentSize(width, height, scaleFactor);
    if (problem)
      throw inputError(width % scaleFactor !== 0 ? "width" : "height", problem, `a multiple of ${scaleFactor}`);
    const latent: LatentBatch = {
      type: "LATENT",
      samples: floatTensor([batch, channels, height / scaleFactor, width / scaleFactor]),
    };
    return { latent };
  },
};
