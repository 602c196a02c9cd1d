import {
  floatTensor,
  type FloatTensor,
  type IntTensor,
  type NoiseSource,
  type PreviewImage,
  type Scheduler,
} from "@infix/engine";
import { latentToPreview } from "../latent/latent-preview.ts";
import { runGraphOutputs } from "../model/pack-input.ts";
import type { ModelPack } from "../pack/types.ts";
import type { AttentionControl, ControlHint, UnetCallInfo } from "../sockets.ts";
import { combineGuidance, usesGuidance } from "./guidance.ts";
import { attentionControlInputs, identityAttentionControl, zeroControlResiduals } from "./unet-feeds.ts";

/** Everything one sampling run needs; latents and embeddings already have B rows. */
export interface DenoiseRequest {
  pack: ModelPack;
  scheduler: Scheduler;
  /** [B,C,h,w] the starting latents (noise × init sigma, or the noised input for img2img). */
  latents: FloatTensor;
  /** Timesteps to run, in order. */
  timesteps: readonly number[];
  /** [B,77,D] */
  positive: FloatTensor;
  /** [B,77,D]; used only when guidance is on. */
  negative: FloatTensor;
  guidanceScale: number;
  control?: ControlHint;
  attentionControl?: AttentionControl;
  signal: AbortSignal;
  /**
   * Inpainting: where `mask` ([B,1,h,w]) is 0 the result keeps `original`, re-noised to each
   * next timestep with `noise` (the diffusers legacy inpaint blend), so only masked areas change.
   */
  keep?: { original: Float32Array; noise: Float32Array; mask: FloatTensor };
  /** Noise for stochastic scheduler steps (ancestral samplers): the seed's generator, continued. */
  stepNoise?: NoiseSource;
  onStep?(step: number, total: number, latents: FloatTensor): void;
}

/**
 * The denoising loop of diffusers `BlipDiffusionPipeline.__call__`: per timestep one UNet
 * call on [uncond; cond] (2B rows) when guidance is on, else on cond (B rows), guidance
 * combine, scheduler step. Buffers for the UNet's inputs are allocated once.
 */
export async function denoise(request: DenoiseRequest): Promise<FloatTensor> {
  const { pack, scheduler, timesteps, guidanceScale, signal } = request;
  const { manifest } = pack;
  const [batch, channels, height, width] = request.latents.dims;
  const guided = usesGuidance(guidanceScale);
  const rows = guided ? 2 * batch : batch;
  const perRow = channels * height * width;
  const tokens = manifest.text_max_length;

  const encoderHiddenStates = guided ? concatRows(request.negative, request.positive) : request.positive;
  const modelInput = new Float32Array(rows * perRow);
  const sampleTensor = floatTensor([rows, channels, height, width], modelInput);
  const timestepData = new Float32Array(rows);
  const guidedOutput = new Float32Array(batch * perRow);
  const blended = new Float32Array(batch * perRow);
  const residuals = manifest.unet.controlnet_residuals > 0 ? zeroControlResiduals(manifest, rows, height, width) : {};
  const identity = manifest.unet.attention_control
    ? attentionControlInputs(identityAttentionControl(rows, tokens), rows, tokens)
    : {};

  let latents: Float32Array = request.latents.data.slice();
  const total = timesteps.length;
  for (let step = 0; step < total; step++) {
    signal.throwIfAborted();
    const t = timesteps[step];
    const scaled = scheduler.scaleModelInput(latents, t);
    modelInput.set(scaled, 0);
    if (guided) modelInput.set(scaled, batch * perRow);
    timestepData.fill(t);
    const call: UnetCallInfo = {
      sample: sampleTensor,
      timestep: t,
      encoderHiddenStates,
      guided,
      step,
      totalSteps: total,
      signal,
    };
    const feeds: Record<string, FloatTensor | IntTensor> = {
      sample: sampleTensor,
      timestep: { dims: [rows], data: timestepData },
      encoder_hidden_states: encoderHiddenStates,
      ...residuals,
      ...identity,
    };
    if (request.control) Object.assign(feeds, await request.control.residuals(call));
    const edited = request.attentionControl?.feeds(call);
    if (edited) Object.assign(feeds, attentionControlInputs(edited, rows, tokens));

    const outputs = await runGraphOutputs(pack, "unet", feeds, ["out_sample"], signal);
    const prediction = outputs.out_sample;
    const noise = guided ? combineGuidance(prediction.data, guidanceScale, guidedOutput) : prediction.data;
    request.attentionControl?.adjustPrediction?.(prediction.data, noise);
    latents = scheduler.step(noise, t, latents, request.stepNoise);
    if (request.keep)
      latents = blendKept(
        request.keep,
        latents,
        step + 1 < total ? timesteps[step + 1] : null,
        scheduler,
        blended,
        channels,
      );
    if (request.attentionControl?.observe && outputs.cross_attn_lowres) {
      request.attentionControl.observe(outputs.cross_attn_lowres, floatTensor(request.latents.dims, latents), call);
    }
    request.onStep?.(step + 1, total, { dims: request.latents.dims, data: latents });
  }
  // The scheduler owns the buffer it returned (it alternates two); keep a copy.
  return floatTensor(request.latents.dims, latents.slice());
}

/** mask·latents + (1 − mask)·kept, with kept the original noised to `nextTimestep` (or clean after the last step). */
function blendKept(
  keep: NonNullable<DenoiseRequest["keep"]>,
  latents: Float32Array,
  nextTimestep: number | null,
  scheduler: Scheduler,
  out: Float32Array,
  channels: number,
): Float32Array {
  const kept = nextTimestep === null ? keep.original : scheduler.addNoise(keep.original, keep.noise, nextTimestep);
  const plane = keep.mask.dims[2] * keep.mask.dims[3];
  const perRow = channels * plane;
  for (let i = 0; i < out.length; i++) {
    const row = Math.floor(i / perRow);
    const m = keep.mask.data[row * plane + (i % plane)];
    out[i] = m * latents[i] + (1 - m) * kept[i];
  }
  return out;
}

/** [A; B] along the batch axis. */
function concatRows(a: FloatTensor, b: FloatTensor): FloatTensor {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data, 0);
  data.set(b.data, a.data.length);
  return floatTensor([a.dims[0] + b.dims[0], ...a.dims.slice(1)], data);
}

/** The preview the Sampler sends after a step: the first batch item's latents as RGB. */
export function stepPreview(latents: FloatTensor, buffer?: Uint8Array): PreviewImage {
  return latentToPreview(latents, 0, buffer);
}
