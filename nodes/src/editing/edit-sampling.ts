/**
 * The Sampler's edit mode (LAVIS BLIP-Diffusion `generate_then_edit` / `edit`, EDITING.md §7):
 * the source and the edited row are sampled together in one guided batch
 * [uncond, uncond, source, target], both from the same starting noise, with the edit session
 * feeding the attention control and applying the local blend after every step. Returns the
 * two rows' latents [source, edited] and the maps the run saw.
 */
import { floatTensor, TorchGenerator, type FloatTensor, type RunContext, type Scheduler } from "@infix/engine";
import { inputError } from "../inputs.ts";
import type { ModelPack } from "../pack/types.ts";
import { denoise, stepPreview } from "../sampling/denoise.ts";
import type { Conditioning, ControlHint, LatentBatch } from "../sockets.ts";
import type { AttentionEdit } from "./attention-edit.ts";
import { createEditSession } from "./edit-session.ts";
import { buildScheduler, LAVIS_EDIT_DDIM } from "../sampling/scheduler-settings.ts";

export interface EditSamplingRequest {
  pack: ModelPack;
  edit: AttentionEdit;
  latent: LatentBatch;
  positive: Conditioning;
  negative: Conditioning;
  seed: number;
  steps: number;
  cfg: number;
  denoise: number;
  /** The scheduler the Sampler made from its own settings. */
  scheduler: Scheduler;
  /** Whether a Scheduler node is wired into the Sampler (then its scheduler is used for an inverted start too). */
  schedulerWired: boolean;
  /** The Sampler's `noise` input, when wired. */
  givenNoise: Float32Array | undefined;
  /** ControlNets wired into the Sampler: they guide both rows alike. */
  control: ControlHint | undefined;
}

/** Two rows of the same [1,...] tensor. */
function twice(data: Float32Array, dims: readonly number[]): FloatTensor {
  const out = new Float32Array(2 * data.length);
  out.set(data, 0);
  out.set(data, data.length);
  return floatTensor([2, ...dims.slice(1)], out);
}

/** Samples an edit; the caller has checked the shared Sampler inputs (shapes, pack). */
export async function sampleEdit(request: EditSamplingRequest, ctx: RunContext): Promise<LatentBatch> {
  const { pack, edit, latent, positive, negative, steps, cfg } = request;
  if (edit.packHash !== pack.hash)
    throw inputError(
      "attention_control",
      "The Attention Controller was given another model pack than the Sampler; wire the same Load Model Pack into both.",
      pack.id,
    );
  if (!pack.manifest.unet.attention_control)
    throw inputError(
      "attention_control",
      `Model pack "${pack.id}" was exported without attention control (manifest unet.attention_control), which editing needs.`,
      "unet.attention_control true",
      "false",
    );
  const dims = latent.samples.dims;
  if (dims[0] !== 1)
    throw inputError(
      "latent",
      `An edit samples one picture (its source and edited rows); the latent has ${dims[0]} rows. Use a batch of 1.`,
      "batch 1",
      String(dims[0]),
    );
  if (request.denoise !== 1)
    throw inputError(
      "denoise",
      "An edit starts from noise (generated, or DDIM Inversion's): set denoise to 1.",
      "1",
      String(request.denoise),
    );
  if (positive.prompts[0] !== edit.sourcePrompt)
    throw inputError(
      "positive",
      `With an Attention Controller wired, "positive" must be its "source" output ("${edit.sourcePrompt}"), not "${positive.prompts[0]}".`,
      edit.sourcePrompt,
      positive.prompts[0],
    );
  if (negative.embedding.dims[0] !== 1)
    throw inputError("negative", "An edit takes one negative prompt.", "1 row", String(negative.embedding.dims[0]));

  let scheduler = request.scheduler;
  if (edit.start === "inverted" && !request.schedulerWired) {
    // LAVIS `edit` samples with the DDIM it inverted with (§8): DDIM Inversion's default, unless a Scheduler node says otherwise.
    const built = buildScheduler(LAVIS_EDIT_DDIM, pack.manifest.scheduler, steps);
    if (typeof built === "string") throw inputError("scheduler_settings", built);
    scheduler = built;
  }
  if (edit.start === "inverted" && !request.givenNoise)
    ctx.log.warn(
      "The Attention Controller's start is 'inverted' but no noise is wired into the Sampler: wire DDIM Inversion's output, or set start to 'generated'.",
    );
  const generator = new TorchGenerator(request.seed);
  const noise = request.givenNoise ?? generator.randn(dims);
  const sigma = Math.fround(scheduler.initNoiseSigma);
  // LAVIS `_init_latent`: one draw, expanded to both rows (§8).
  const start = twice(
    noise.map((v) => v * sigma),
    dims,
  );
  const [, channels, height, width] = dims;
  const guided = cfg > 1;
  const session = createEditSession(edit, {
    steps,
    guided,
    keys: pack.manifest.text_max_length,
    channels,
    height,
    width,
  });
  const timesteps = Array.from(scheduler.timesteps);
  ctx.progress(0, timesteps.length);
  const samples = await denoise({
    pack,
    scheduler,
    latents: start,
    timesteps,
    positive: floatTensor([2, ...edit.source.dims.slice(1)], concat(edit.source.data, edit.target.data)),
    negative: twice(negative.embedding.data, negative.embedding.dims),
    guidanceScale: cfg,
    control: request.control,
    attentionControl: session,
    signal: ctx.signal,
    stepNoise: (out) => generator.fillNormal(out),
    onStep(step, total, current) {
      ctx.progress(step, total);
      ctx.preview(stepPreview(floatTensor(dims, current.data.subarray(current.data.length / 2))));
    },
  });
  return { type: "LATENT", samples, attention: session.record() };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
