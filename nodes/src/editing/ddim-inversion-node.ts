import { floatTensor, type FloatTensor, type NodeDefinition, type Scheduler } from "@infix/engine";
import { inputError, intInput, optionalTaggedInput, taggedInput } from "../inputs.ts";
import { packInput, runGraphOutputs } from "../model/pack-input.ts";
import type { ModelPack } from "../pack/types.ts";
import { attentionControlInputs, identityAttentionControl, zeroControlResiduals } from "../sampling/unet-feeds.ts";
import type { Conditioning, LatentBatch } from "../sockets.ts";
import { buildInverseScheduler, LAVIS_EDIT_DDIM, type SchedulerSettings } from "../sampling/scheduler-settings.ts";

/**
 * The inversion scheduler (timesteps ascending) for DDIM `settings` over the pack's betas;
 * by default LAVIS's (SD 1.5's) DDIM: steps_offset 1, clip_sample false, set_alpha_to_one false.
 */
export function inversionScheduler(pack: ModelPack, steps: number, settings = LAVIS_EDIT_DDIM): Scheduler {
  if (settings.name !== "ddim")
    throw inputError(
      "scheduler_settings",
      `DDIM Inversion inverts DDIM; the Scheduler node says "${settings.name}". Choose ddim there.`,
      "ddim",
      settings.name,
    );
  const scheduler = buildInverseScheduler(settings, pack.manifest.scheduler, steps, "lavis");
  if (typeof scheduler === "string") throw inputError("scheduler_settings", scheduler);
  return scheduler;
}

/**
 * DDIM inversion of clean latents (Song et al. 2021 §4.3; LAVIS BLIP-Diffusion `edit`,
 * ../shared/EDITING.md §9): guidance 1, plain attention (identity control), per ascending
 * timestep ε = UNet(x, t, text) and the lift of x to the noise level of t.
 */
export async function invertLatents(
  pack: ModelPack,
  latents: FloatTensor,
  text: FloatTensor,
  steps: number,
  signal: AbortSignal,
  options: { settings?: SchedulerSettings; onStep?: (step: number, total: number) => void } = {},
): Promise<FloatTensor> {
  const [rows, , height, width] = latents.dims;
  const scheduler = inversionScheduler(pack, steps, options.settings);
  const tokens = pack.manifest.text_max_length;
  const fixed = {
    encoder_hidden_states: text,
    ...(pack.manifest.unet.controlnet_residuals > 0 ? zeroControlResiduals(pack.manifest, rows, height, width) : {}),
    ...(pack.manifest.unet.attention_control
      ? attentionControlInputs(identityAttentionControl(rows, tokens), rows, tokens)
      : {}),
  };
  const timestep = new Float32Array(rows);
  let x = latents.data.slice();
  const total = scheduler.timesteps.length;
  for (let i = 0; i < total; i++) {
    signal.throwIfAborted();
    const t = scheduler.timesteps[i];
    timestep.fill(t);
    const outputs = await runGraphOutputs(
      pack,
      "unet",
      { ...fixed, sample: floatTensor(latents.dims, x), timestep: { dims: [rows], data: timestep } },
      ["out_sample"],
      signal,
    );
    x = scheduler.step(outputs.out_sample.data, t, x).slice();
    options.onStep?.(i + 1, total);
  }
  return floatTensor(latents.dims, x);
}

/** DDIM Inversion: a picture's latents → the starting noise that regenerates it (for editing real pictures). */
export const ddimInversionNode: NodeDefinition = {
  schema: {
    type: "DDIMInversion",
    version: 1,
    category: "editing",
    title: "DDIM Inversion",
    description:
      "Runs DDIM backwards from a picture's latents (VAE Encode) to the noise that regenerates it, with guidance 1 and plain attention, as LAVIS BLIP-Diffusion's edit does (DDIM with SD 1.5's settings: steps_offset 1, no clipping). Wire the result into the Sampler's noise input, with an Attention Controller whose start is 'inverted' and the same steps; use the controller's inversion output as the conditioning.",
    inputs: [
      { name: "pack", type: "MODEL_PACK" },
      { name: "latent", type: "LATENT", description: "The picture's latents (VAE Encode, mean or seeded sample)." },
      {
        name: "conditioning",
        type: "CONDITIONING",
        description: "The prompt describing the picture (the Attention Controller's inversion output).",
      },
      { name: "steps", type: "INT", widget: { kind: "INT", default: 50, min: 1, max: 500 } },
      {
        name: "scheduler_settings",
        type: "SCHEDULER",
        optional: true,
        label: "scheduler settings",
        description:
          "A Scheduler node's DDIM settings; unset = LAVIS's (SD 1.5's DDIM: steps_offset 1, no clipping). Give the Sampler the same.",
      },
    ],
    outputs: [{ name: "noise", type: "LATENT" }],
    isOutput: false,
  },
  async run(inputs, ctx) {
    const pack = packInput(inputs);
    const latent = taggedInput<LatentBatch>(inputs, "latent", "LATENT");
    const conditioning = taggedInput<Conditioning>(inputs, "conditioning", "CONDITIONING");
    const steps = intInput(inputs, "steps", 1);
    const settings = optionalTaggedInput<SchedulerSettings>(inputs, "scheduler_settings", "SCHEDULER");
    const dims = latent.samples.dims;
    const { latent_channels: channels } = pack.manifest.vae;
    if (dims.length !== 4 || dims[1] !== channels)
      throw inputError(
        "latent",
        `The latent is [${dims.join(",")}] but this pack's UNet takes [B,${channels},h,w]; make it with this pack's VAE Encode.`,
        `[B,${channels},h,w]`,
        `[${dims.join(",")}]`,
      );
    const text = conditioning.embedding;
    const { text_max_length: length, text_hidden_size: hidden } = pack.manifest;
    if (text.dims[1] !== length || text.dims[2] !== hidden)
      throw inputError(
        "conditioning",
        `The conditioning is [${text.dims.join(",")}]; this pack's UNet needs [B,${length},${hidden}]. Encode it with the same pack.`,
        `[B,${length},${hidden}]`,
      );
    if (text.dims[0] !== 1 && text.dims[0] !== dims[0])
      throw inputError(
        "conditioning",
        `The conditioning has ${text.dims[0]} rows and the latent ${dims[0]}; use one prompt or one per latent.`,
      );
    const rows = dims[0];
    const perRow = length * hidden;
    const repeated = new Float32Array(rows * perRow);
    for (let b = 0; b < rows; b++)
      repeated.set(text.data.subarray(text.dims[0] === 1 ? 0 : b * perRow).subarray(0, perRow), b * perRow);
    ctx.progress(0, steps);
    const noise = await invertLatents(
      pack,
      latent.samples,
      floatTensor([rows, length, hidden], repeated),
      steps,
      ctx.signal,
      { settings, onStep: (s, t) => ctx.progress(s, t) },
    );
    const result: LatentBatch = { type: "LATENT", samples: noise };
    return { noise: result };
  },
};
