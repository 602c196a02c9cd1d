import {
  floatTensor,
  img2imgTimesteps,
  TorchGenerator,
  type FloatTensor,
  type NodeDefinition,
  type NodeInputs,
} from "@infix/engine";
import { inputError, intInput, numberInput, optionalTaggedInput, stringInput, taggedInput } from "../inputs.ts";
import { packInput } from "../model/pack-input.ts";
import type { AttentionControl, Conditioning, ControlHint, LatentBatch } from "../sockets.ts";
import { isAttentionEdit } from "../editing/attention-edit.ts";
import { sampleEdit } from "../editing/edit-sampling.ts";
import { denoise, stepPreview } from "./denoise.ts";
import { buildScheduler, type SchedulerSettings } from "./scheduler-settings.ts";
import { userStep, userStepCount } from "./step-progress.ts";
import { createSamplingScheduler, DEFAULT_SCHEDULER, SAMPLER_SCHEDULERS } from "./schedulers.ts";

/** Repeats a [1,...] conditioning to B rows, or passes a [B,...] one; an error otherwise. */
function conditioningRows(conditioning: Conditioning, batch: number, input: string): FloatTensor {
  const [rows, ...rest] = conditioning.embedding.dims;
  if (rows === batch) return conditioning.embedding;
  if (rows !== 1)
    throw inputError(
      input,
      `"${input}" has ${rows} rows but the latent batch has ${batch}; use one prompt or one per latent.`,
      `1 or ${batch} rows`,
      String(rows),
    );
  const size = conditioning.embedding.data.length;
  const data = new Float32Array(size * batch);
  for (let b = 0; b < batch; b++) data.set(conditioning.embedding.data, b * size);
  return floatTensor([batch, ...rest], data);
}

/** The latent's noise mask as [B,1,h,w], checked against the latent's shape. */
function noiseMaskFor(latent: LatentBatch, input: string): FloatTensor {
  const mask = latent.noiseMask as FloatTensor;
  const [batch, , height, width] = latent.samples.dims;
  const dims = mask.dims;
  const rows = dims[0];
  if (dims.length !== 4 || dims[1] !== 1 || dims[2] !== height || dims[3] !== width || (rows !== batch && rows !== 1)) {
    throw inputError(
      input,
      `The latent's noise mask is [${dims.join(",")}] but the latents need [${batch},1,${height},${width}].`,
      `[${batch},1,${height},${width}]`,
      `[${dims.join(",")}]`,
    );
  }
  if (rows === batch) return mask;
  const data = new Float32Array(batch * height * width);
  for (let b = 0; b < batch; b++) data.set(mask.data, b * height * width);
  return floatTensor([batch, 1, height, width], data);
}

/** The optional exact starting noise, checked to have the latent's dims. */
function startingNoiseInput(inputs: NodeInputs, dims: readonly number[]): Float32Array | undefined {
  const given = optionalTaggedInput<LatentBatch>(inputs, "noise", "LATENT");
  if (given === undefined) return undefined;
  const found = given.samples.dims;
  if (found.length !== dims.length || found.some((size, i) => size !== dims[i])) {
    const expected = `[${dims.join(",")}]`;
    throw inputError(
      "noise",
      `The noise is [${found.join(",")}] but the latent is ${expected}; the starting noise must have the latent's shape.`,
      expected,
      `[${found.join(",")}]`,
    );
  }
  return given.samples.data;
}

/**
 * Sampler: denoises latents with the pack's UNet under classifier-free guidance.
 * denoise = 1 starts from seeded noise × init_noise_sigma (diffusers `prepare_latents`);
 * denoise < 1 noises the input latents to the starting timestep (img2img `get_timesteps`,
 * `add_noise`) and runs the remaining steps. An optional `noise` input replaces the seeded
 * starting draw, as diffusers' `latents=` argument does.
 */
export const samplerNode: NodeDefinition = {
  schema: {
    type: "Sampler",
    version: 1,
    category: "sampling",
    title: "Sampler",
    description:
      "Denoises latents with the UNet, guided by the positive and negative conditioning. Lower denoise keeps more of the input latents (image-to-image).",
    inputs: [
      { name: "pack", type: "MODEL_PACK" },
      { name: "positive", type: "CONDITIONING" },
      { name: "negative", type: "CONDITIONING" },
      { name: "latent", type: "LATENT" },
      { name: "seed", type: "INT", widget: { kind: "SEED", default: 88888 } },
      { name: "steps", type: "INT", widget: { kind: "INT", default: 25, min: 1, max: 200 } },
      {
        name: "cfg",
        type: "FLOAT",
        label: "guidance scale",
        widget: { kind: "FLOAT", default: 7.5, min: 0, max: 30, step: 0.1 },
      },
      {
        name: "scheduler",
        type: "STRING",
        widget: { kind: "ENUM", default: DEFAULT_SCHEDULER, options: [...SAMPLER_SCHEDULERS] },
      },
      { name: "denoise", type: "FLOAT", widget: { kind: "FLOAT", default: 1, min: 0, max: 1, step: 0.01 } },
      {
        name: "scheduler_settings",
        type: "SCHEDULER",
        optional: true,
        label: "scheduler settings",
        description:
          "A Scheduler node's settings (steps_offset, spacing, eta, ...); when connected they replace the scheduler choice.",
      },
      { name: "control", type: "CONTROL", optional: true },
      {
        name: "attention_control",
        type: "ATTENTION_CONTROL",
        optional: true,
        description:
          "An Attention Controller's edit: the Sampler then renders its source (wire its source output into positive) and the edited picture from the same noise, and outputs both.",
      },
      {
        name: "noise",
        type: "LATENT",
        optional: true,
        description:
          "Exact starting noise (e.g. Load Latent of a .npy) instead of the seed's first draw; same shape as the latent.",
      },
    ],
    outputs: [{ name: "latent", type: "LATENT" }],
    isOutput: false,
  },
  validate(values) {
    const problems: string[] = [];
    if (typeof values.scheduler === "string" && !SAMPLER_SCHEDULERS.includes(values.scheduler)) {
      problems.push(`Unknown scheduler "${values.scheduler}"; choose one of ${SAMPLER_SCHEDULERS.join(", ")}.`);
    }
    if (typeof values.denoise === "number" && !(values.denoise >= 0 && values.denoise <= 1))
      problems.push(`denoise ${values.denoise} must be between 0 and 1.`);
    return problems;
  },
  async run(inputs, ctx) {
    const pack = packInput(inputs);
    const positive = taggedInput<Conditioning>(inputs, "positive", "CONDITIONING");
    const negative = taggedInput<Conditioning>(inputs, "negative", "CONDITIONING");
    const latent = taggedInput<LatentBatch>(inputs, "latent", "LATENT");
    const seed = intInput(inputs, "seed", 0);
    const steps = intInput(inputs, "steps", 1);
    const cfg = numberInput(inputs, "cfg");
    const schedulerName = stringInput(inputs, "scheduler");
    const strength = numberInput(inputs, "denoise");
    if (strength < 0 || strength > 1)
      throw inputError("denoise", `denoise ${strength} must be between 0 and 1.`, "0..1", String(strength));
    const control = optionalTaggedInput<ControlHint>(inputs, "control", "CONTROL");
    const attentionControl = optionalTaggedInput<AttentionControl>(inputs, "attention_control", "ATTENTION_CONTROL");

    const settings = optionalTaggedInput<SchedulerSettings>(inputs, "scheduler_settings", "SCHEDULER");
    const scheduler = settings
      ? buildScheduler(settings, pack.manifest.scheduler, steps)
      : createSamplingScheduler(schedulerName, pack.manifest.scheduler, steps);
    if (typeof scheduler === "string") {
      if (settings) throw inputError("scheduler_settings", scheduler);
      throw inputError("scheduler", scheduler, SAMPLER_SCHEDULERS.join(" | "), schedulerName);
    }
    const dims = latent.samples.dims;
    const batch = dims[0];
    const { latent_channels: channels } = pack.manifest.vae;
    if (dims.length !== 4 || dims[1] !== channels) {
      throw inputError(
        "latent",
        `The latent is [${dims.join(",")}] but this pack's UNet takes [B,${channels},h,w]; make it with this pack's Empty Latent or VAE Encode.`,
        `[B,${channels},h,w]`,
        `[${dims.join(",")}]`,
      );
    }
    for (const [name, conditioning] of [
      ["positive", positive],
      ["negative", negative],
    ] as const) {
      const found = conditioning.embedding.dims;
      if (found[1] !== pack.manifest.text_max_length || found[2] !== pack.manifest.text_hidden_size) {
        const expected = `[B,${pack.manifest.text_max_length},${pack.manifest.text_hidden_size}]`;
        throw inputError(
          name,
          `"${name}" is [${found.join(",")}] but this pack's UNet needs ${expected}; encode it with the same model pack.`,
          expected,
          `[${found.join(",")}]`,
        );
      }
      if (conditioning.packHash !== pack.hash)
        ctx.log.warn(`"${name}" was encoded with another model pack than the Sampler's.`);
    }
    const givenNoise = startingNoiseInput(inputs, dims);
    if (strength === 0) return { latent };
    // An Attention Controller's edit: source and edited rows in one batch (nodes/src/editing).
    if (isAttentionEdit(attentionControl)) {
      const edit = {
        pack,
        edit: attentionControl,
        latent,
        positive,
        negative,
        seed,
        steps,
        cfg,
        scheduler,
        givenNoise,
        control,
      };
      return { latent: await sampleEdit({ ...edit, denoise: strength, schedulerWired: settings !== undefined }, ctx) };
    }
    // One generator for the starting noise and, after it, any noise a stochastic scheduler step draws (diffusers passes the same generator on).
    // Given noise takes the place of that first draw without consuming the stream, as when diffusers gets `latents=`.
    const generator = new TorchGenerator(seed);
    const noise = givenNoise ?? generator.randn(dims);
    let timesteps: readonly number[];
    let startLatents: Float32Array;
    if (strength >= 1) {
      // diffusers prepare_latents: noise scaled by the scheduler's initial sigma; the input latents only give the shape.
      timesteps = Array.from(scheduler.timesteps);
      const sigma = Math.fround(scheduler.initNoiseSigma);
      startLatents = noise.map((v) => v * sigma);
    } else {
      // diffusers img2img: keep the last int(steps·strength) timesteps and noise the input latents to the first.
      const { timesteps: kept, noiseTimestep } = img2imgTimesteps(scheduler, steps, strength);
      if (noiseTimestep === null) return { latent };
      timesteps = Array.from(kept);
      startLatents = scheduler.addNoise(latent.samples.data, noise, noiseTimestep);
    }

    const userSteps = userStepCount(timesteps);
    ctx.progress(0, userSteps);
    const samples = await denoise({
      pack,
      scheduler,
      latents: floatTensor(dims, startLatents),
      timesteps,
      positive: conditioningRows(positive, batch, "positive"),
      negative: conditioningRows(negative, batch, "negative"),
      guidanceScale: cfg,
      control,
      attentionControl,
      signal: ctx.signal,
      stepNoise: (out) => generator.fillNormal(out),
      keep: latent.noiseMask
        ? { original: latent.samples.data, noise, mask: noiseMaskFor(latent, "latent") }
        : undefined,
      onStep(step, total, current) {
        ctx.progress(userStep(step, total, userSteps), userSteps);
        // A fresh picture each step: the server may still be encoding the previous one off-thread.
        ctx.preview(stepPreview(current));
      },
    });
    const result: LatentBatch = { type: "LATENT", samples, noiseMask: latent.noiseMask };
    return { latent: result };
  },
};
