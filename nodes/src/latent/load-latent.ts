import { decodeNpy, NpyFormatError, type NodeDefinition, type NodeInputs } from "@infix/engine";
import { fileContentHash } from "../image/file-hash.ts";
import { inputError, stringInput } from "../inputs.ts";
import { packInput } from "../model/pack-input.ts";
import type { LatentBatch } from "../sockets.ts";
import { LATENT_FILE_EXTENSION } from "./save-latent.ts";

/** Stable-Diffusion-style VAEs have 4 latent channels; the pack's manifest says so when a pack is connected. */
const DEFAULT_LATENT_CHANNELS = 4;

/**
 * A pure check of a loaded array's shape for use as latents: rank 4 [B,C,h,w], C equal to
 * the expected channel count, no empty axis. Returns one sentence for a person, or null.
 */
export function checkLatentShape(dims: readonly number[], channels: number): string | null {
  const shape = `[${dims.join(",")}]`;
  if (dims.length !== 4)
    return `has shape ${shape}, rank ${dims.length}; latents are rank 4 [B,${channels},h,w] (add a batch axis with arr[None] in NumPy)`;
  if (dims[1] !== channels) return `has ${dims[1]} channels (shape ${shape}); the model's latents have ${channels}`;
  if (dims.some((d) => d === 0)) return `has an empty axis (shape ${shape})`;
  return null;
}

/**
 * Load Latent: a `.npy` file of the input folder as LATENT — latents saved by Save Latent,
 * or made elsewhere (e.g. `np.save("x.npy", latents.numpy())` from diffusers) to start a
 * run from exact latents. float32 is read as is; float64/float16 are converted (logged).
 */
export const loadLatentNode: NodeDefinition = {
  schema: {
    type: "LoadLatent",
    version: 1,
    category: "latent",
    title: "Load Latent",
    description:
      "Loads latents [B,C,h,w] from a NumPy .npy file in the input folder (float32; float64/float16 are converted). With a pack connected, C must be its latent channels; else 4. Save Latent writes to the output folder: upload that .npy here (the file widget's upload button puts it in input/). Connect to the Sampler's noise input for an exact-noise start, or its latent input for image-to-image.",
    inputs: [
      {
        name: "file",
        type: "STRING",
        widget: { kind: "FILE", default: "", folder: "input", accept: [LATENT_FILE_EXTENSION] },
      },
      {
        name: "pack",
        type: "MODEL_PACK",
        optional: true,
        description: "Checks the channel count against the pack's VAE.",
      },
    ],
    outputs: [{ name: "latent", type: "LATENT" }],
    isOutput: false,
  },
  // The file's bytes, not its name, decide whether the cached output still holds.
  cacheKeyExtra: (inputs: NodeInputs, ctx) => fileContentHash(ctx.files, String(inputs.file ?? "")),
  async run(inputs, ctx) {
    const name = stringInput(inputs, "file", { nonEmpty: true });
    const channels =
      inputs.pack === undefined || inputs.pack === null
        ? DEFAULT_LATENT_CHANNELS
        : packInput(inputs).manifest.vae.latent_channels;
    let bytes: Uint8Array;
    try {
      bytes = await ctx.files.readInput(name);
    } catch (error) {
      throw inputError(
        "file",
        `Cannot read "${name}" from the input folder (${(error as Error).message}); upload the .npy file or pick another.`,
        "a .npy file in input/",
        name,
      );
    }
    let array;
    try {
      array = decodeNpy(bytes, name);
    } catch (error) {
      if (error instanceof NpyFormatError) throw inputError("file", error.message, error.expected, error.found);
      throw error;
    }
    if (array.conversionNote) ctx.log.warn(array.conversionNote);
    const problem = checkLatentShape(array.dims, channels);
    if (problem) throw inputError("file", `"${name}" ${problem}.`, `[B,${channels},h,w]`, `[${array.dims.join(",")}]`);
    const latent: LatentBatch = { type: "LATENT", samples: { dims: array.dims, data: array.data } };
    return { latent };
  },
};
