import { floatTensor, type NodeDefinition, type Widget } from "@infix/engine";
import { inputError, intInput } from "../inputs.ts";
import { packInput } from "../model/pack-input.ts";
import type { LatentBatch } from "../sockets.ts";

/** Every released Stable-Diffusion-style VAE downsamples by 8; the node checks the pack's own factor at run time. */
const COMMON_SCALE_FACTOR = 8;

/** Width or height 0 stands for the pack's own `unet.default_size` (docs/model-pack.md). */
export const PACK_DEFAULT_SIZE = 0;

const sizeWidget = (): Widget => ({
  kind: "INT",
  default: PACK_DEFAULT_SIZE,
  min: 8,
  max: 2048,
  step: 8,
  special: { value: PACK_DEFAULT_SIZE, label: "pack default" },
});

/** A pure check of width/height against a scale factor; one message per problem. */
export function checkLatentSize(width: unknown, height: unknown, scaleFactor: number): string[] {
  const problems: string[] = [];
  for (const [name, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (typeof value !== "number" || value === PACK_DEFAULT_SIZE) continue;
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
    description:
      "Zero latents of the given picture size and batch size; the Sampler adds the seeded noise. Size 'pack default' is the size the pack's UNet was trained at (512 for BLIP-Diffusion, 64 for the tiny test pack).",
    inputs: [
      {
        name: "pack",
        type: "MODEL_PACK",
        description: "Gives the VAE's scale factor, latent channels and default size.",
      },
      {
        name: "width",
        type: "INT",
        widget: sizeWidget(),
        description: "Picture width in pixels; 'pack default' = the pack's size.",
      },
      {
        name: "height",
        type: "INT",
        widget: sizeWidget(),
        description: "Picture height in pixels; 'pack default' = the pack's size.",
      },
      { name: "batch_size", type: "INT", widget: { kind: "INT", default: 1, min: 1, max: 16 } },
    ],
    outputs: [{ name: "latent", type: "LATENT" }],
    isOutput: false,
  },
  validate: (values) => checkLatentSize(values.width, values.height, COMMON_SCALE_FACTOR),
  async run(inputs) {
    const pack = packInput(inputs);
    const { scale_factor: scaleFactor, latent_channels: channels } = pack.manifest.vae;
    const { default_size: defaultSize } = pack.manifest.unet;
    const width = intInput(inputs, "width", PACK_DEFAULT_SIZE) || defaultSize;
    const height = intInput(inputs, "height", PACK_DEFAULT_SIZE) || defaultSize;
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
