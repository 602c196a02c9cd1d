/**
 * DDIM (Song et al. 2021, "Denoising Diffusion Implicit Models", eq. 12), as diffusers
 * `DDIMScheduler.step`: predicted x0 and ε from the model output, optional clipping of x0,
 * then x_{t−1} = √ᾱ_prev·x0 + √(1 − ᾱ_prev − σ²)·ε + σ·z with σ = η·√variance.
 */

import type { DiffusersSchedulerConfig } from "./config.ts";
import { SchedulerStepError, type NoiseSource } from "./types.ts";
import { sqrtF32, VariancePreservingScheduler } from "./variance-preserving.ts";

const fr = Math.fround;

export const DDIM_DEFAULTS = {
  setAlphaToOne: true,
  timestepSpacing: "leading",
  clipSample: true,
  skipPrkSteps: false,
} as const;

export interface DdimOptions {
  /** η: 0 is deterministic DDIM, 1 is DDPM-like ancestral sampling (needs a noise source). */
  eta?: number;
}

export class DdimScheduler extends VariancePreservingScheduler {
  readonly name = "ddim";
  readonly eta: number;
  private noiseBuffer: Float32Array | null = null;

  constructor(raw: DiffusersSchedulerConfig, options: DdimOptions = {}) {
    super(raw, DDIM_DEFAULTS);
    this.eta = options.eta ?? 0;
    if (!(this.eta >= 0)) throw new SchedulerStepError(this.name, `eta must be ≥ 0, got ${this.eta}`);
  }

  protected orderTimesteps(ascending: Float64Array): Float64Array {
    return ascending.reverse();
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, noise?: NoiseSource): Float32Array {
    this.checkStep(modelOutput, t, sample);
    const prevT = t - this.stepRatio;
    const alphaT = this.alphasCumprod[t];
    const alphaPrev = this.alphaAt(prevT);
    const betaT = fr(1 - alphaT);
    const sqrtAlphaT = sqrtF32(alphaT);
    const sqrtBetaT = sqrtF32(betaT);
    // diffusers `_get_variance`: (1 − ᾱ_prev)/(1 − ᾱ_t) · (1 − ᾱ_t/ᾱ_prev)
    const variance = fr(fr(fr(1 - alphaPrev) / betaT) * fr(1 - fr(alphaT / alphaPrev)));
    const stdDev = fr(fr(this.eta) * sqrtF32(variance));
    const directionCoeff = sqrtF32(fr(fr(1 - alphaPrev) - fr(stdDev * stdDev)));
    const sqrtAlphaPrev = sqrtF32(alphaPrev);
    const clip = this.config.clipSample;
    const range = this.config.clipSampleRange;
    const prediction = this.config.predictionType;
    const out = this.outputs.take(sample.length);

    let z: Float32Array | null = null;
    if (this.eta > 0) {
      if (!noise) throw new SchedulerStepError(this.name, "eta > 0 draws variance noise: pass a noise source");
      if (!this.noiseBuffer || this.noiseBuffer.length !== sample.length)
        this.noiseBuffer = new Float32Array(sample.length);
      noise(this.noiseBuffer);
      z = this.noiseBuffer;
    }

    for (let i = 0; i < sample.length; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      let x0: number;
      let eps: number;
      if (prediction === "epsilon") {
        x0 = fr(fr(x - fr(sqrtBetaT * m)) / sqrtAlphaT);
        eps = m;
      } else if (prediction === "sample") {
        x0 = m;
        eps = fr(fr(x - fr(sqrtAlphaT * x0)) / sqrtBetaT);
      } else {
        x0 = fr(fr(sqrtAlphaT * x) - fr(sqrtBetaT * m));
        eps = fr(fr(sqrtAlphaT * m) + fr(sqrtBetaT * x));
      }
      if (clip) x0 = Math.min(Math.max(x0, -range), range);
      let prev = fr(fr(sqrtAlphaPrev * x0) + fr(directionCoeff * eps));
      if (z) prev = fr(prev + fr(stdDev * z[i]));
      out[i] = prev;
    }
    return out;
  }
}
