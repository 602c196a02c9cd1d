import { encodeNpy, type NodeDefinition } from "@infix/engine";
import { sanitisePrefix } from "../image/save-images.ts";
import { stringInput, taggedInput } from "../inputs.ts";
import type { LatentBatch } from "../sockets.ts";

export const LATENT_FILE_EXTENSION = ".npy";

/**
 * Save Latent: writes a LATENT's samples [B,C,h,w] as a float32 `.npy` file (what
 * `numpy.save` writes; `np.load` reads it back) to the output folder. The values are the
 * latents as the Sampler and VAE Decode see them — already multiplied by the VAE's
 * scaling factor, as diffusers' `latents` argument. A noise mask is not saved.
 */
export const saveLatentNode: NodeDefinition = {
  schema: {
    type: "SaveLatent",
    version: 1,
    category: "latent",
    title: "Save Latent",
    description:
      "Saves latents [B,C,h,w] as a float32 NumPy .npy file in the output folder, to load again with Load Latent or np.load. A noise mask is not saved.",
    inputs: [
      { name: "latent", type: "LATENT" },
      { name: "filename_prefix", type: "STRING", widget: { kind: "STRING", default: "latent" } },
    ],
    outputs: [],
    isOutput: true,
  },
  async run(inputs, ctx) {
    const latent = taggedInput<LatentBatch>(inputs, "latent", "LATENT");
    const prefix = sanitisePrefix(stringInput(inputs, "filename_prefix"));
    const ref = await ctx.files.writeOutput(`${prefix}${LATENT_FILE_EXTENSION}`, encodeNpy(latent.samples));
    const note = latent.noiseMask ? " — its noise mask was not saved" : "";
    ctx.show({ text: [`${ref.folder}/${ref.name} [${latent.samples.dims.join(",")}] float32${note}`] });
    return {};
  },
};
