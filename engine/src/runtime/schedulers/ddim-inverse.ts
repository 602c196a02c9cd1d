/**
 * DDIM inversion: runs the deterministic DDIM update backwards, from a clean latent to the
 * noise that DDIM sampling maps back onto it (Song et al. 2021 §4.3; used for real-image
 * editing in prompt-to-prompt / null-text inversion and LAVIS BLIP-Diffusion `edit`).
 *
 * Timesteps ascend (the DDIM list reversed). At timestep t the model is evaluated on the
 * current latent, which sits at the noise level of t − ⌊N/n⌋ (ᾱ[0], or 1 with
 * set_alpha_to_one, below zero), and the step lifts it to the level of t:
 *   x_t = √(ᾱ_t/ᾱ_s)·x_s + (√(1 − ᾱ_t) − √(ᾱ_t(1 − ᾱ_s)/ᾱ_s))·ε.
 * Two float32 evaluation orders of that formula exist in the reference code:
 * - "lavis": LAVIS `_add_noise_latent_step` → `backward_ddim` (from cccntu/efficient-prompt-to-prompt):
 *   √ᾱ_t·((ᾱ_s^−½ − ᾱ_t^−½)·x + (√(1/ᾱ_t − 1) − √(1/ᾱ_s − 1))·ε) + x
 * - "diffusers": `DDIMInverseScheduler.step`: √ᾱ_t·(x − √(1 − ᾱ_s)·ε)/√ᾱ_s + √(1 − ᾱ_t)·ε
 */

import type { DiffusersSchedulerConfig } from "./config.ts";
import { DDIM_DEFAULTS } from "./ddim.ts";
import { SchedulerStepError } from "./types.ts";
import { sqrtF32, VariancePreservingScheduler } from "./variance-preserving.ts";

const fr = Math.fround;

export type DdimInversionFormula = "lavis" | "diffusers";

export interface DdimInverseOptions {
  formula?: DdimInversionFormula;
}

export class DdimInverseScheduler extends VariancePreservingScheduler {
  readonly name = "ddim_inverse";
  readonly formula: DdimInversionFormula;

  constructor(raw: DiffusersSchedulerConfig, options: DdimInverseOptions = {}) {
    super(raw, DDIM_DEFAULTS);
    if (this.config.predictionType !== "epsilon") {
      throw new SchedulerStepError(
        this.name,
        `inversion supports prediction_type "epsilon" only, got "${this.config.predictionType}"`,
      );
    }
    this.formula = options.formula ?? "lavis";
  }

  /** Ascending: inversion walks from the clean latent up to the noise. */
  protected orderTimesteps(ascending: Float64Array): Float64Array {
    return ascending;
  }

  /** Lifts `sample` (at the level of t − ⌊N/n⌋) to the noise level of `t`, with ε predicted at `t`. */
  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    this.checkStep(modelOutput, t, sample);
    const fromT = Math.min(t - this.stepRatio, this.config.numTrainTimesteps - 1);
    const alphaFrom = this.alphaAt(fromT);
    const alphaTo = this.alphasCumprod[t];
    const out = this.outputs.take(sample.length);
    if (this.formula === "lavis") {
      const rsqrt = (a: number) => fr(1 / sqrtF32(a));
      const sampleCoeff = fr(rsqrt(alphaFrom) - rsqrt(alphaTo));
      const epsCoeff = fr(sqrtF32(fr(fr(1 / alphaTo) - 1)) - sqrtF32(fr(fr(1 / alphaFrom) - 1)));
      const scale = sqrtF32(alphaTo);
      for (let i = 0; i < sample.length; i++) {
        const x = sample[i];
        out[i] = fr(fr(scale * fr(fr(sampleCoeff * x) + fr(epsCoeff * modelOutput[i]))) + x);
      }
    } else {
      const sqrtBetaFrom = sqrtF32(fr(1 - alphaFrom));
      const sqrtAlphaFrom = sqrtF32(alphaFrom);
      const sqrtAlphaTo = sqrtF32(alphaTo);
      const directionCoeff = sqrtF32(fr(1 - alphaTo));
      for (let i = 0; i < sample.length; i++) {
        const eps = modelOutput[i];
        let x0 = fr(fr(sample[i] - fr(sqrtBetaFrom * eps)) / sqrtAlphaFrom);
        if (this.config.clipSample)
          x0 = Math.min(Math.max(x0, -this.config.clipSampleRange), this.config.clipSampleRange);
        out[i] = fr(fr(sqrtAlphaTo * x0) + fr(directionCoeff * eps));
      }
    }
    return out;
  }
}
