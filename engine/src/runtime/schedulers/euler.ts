/**
 * Euler sampling in σ space (Karras et al. 2022, Algorithm 2 without churn) and its
 * ancestral variant (k-diffusion `sample_euler_ancestral`), as diffusers
 * `EulerDiscreteScheduler` / `EulerAncestralDiscreteScheduler`:
 * x0 = x − σ·ε, d = (x − x0)/σ, x_next = x + d·(σ_next − σ); ancestral splits σ_next into
 * σ_down (deterministic) and σ_up (fresh noise).
 */

import { ReusableBuffer } from "./buffers.ts";
import { SchedulerConfigError, type DiffusersSchedulerConfig } from "./config.ts";
import { SigmaSpaceScheduler } from "./sigma-space-scheduler.ts";
import { eulerTimesteps } from "./sigma-timesteps.ts";
import { interpolateSigmas, karrasSigmas, logSigmasOf, sigmaToTimestep } from "./sigmas.ts";
import { SchedulerStepError, type NoiseSource } from "./types.ts";
import { checkSameLength } from "./variance-preserving.ts";

const fr = Math.fround;

export class EulerScheduler extends SigmaSpaceScheduler {
  private readonly scaled = new ReusableBuffer();
  private readonly noiseBuffer = new ReusableBuffer();

  constructor(
    raw: DiffusersSchedulerConfig,
    readonly ancestral = false,
  ) {
    super(raw);
    if (ancestral && this.config.useKarrasSigmas) {
      throw new SchedulerConfigError("use_karras_sigmas", "false for Euler ancestral", true);
    }
  }

  get name(): string {
    return this.ancestral ? "euler_ancestral" : "euler";
  }

  /** diffusers' `init_noise_sigma`: σ_max for linspace/trailing spacing, √(σ_max² + 1) for leading. */
  get initNoiseSigma(): number {
    let max = 0;
    for (const s of this.sigmas) max = Math.max(max, s);
    if (this.config.timestepSpacing !== "leading") return max;
    return fr(Math.sqrt(fr(fr(max * max) + 1)));
  }

  setTimesteps(numSteps: number): void {
    let timesteps = eulerTimesteps(this.config, numSteps, this.name);
    let sigmas = interpolateSigmas(timesteps, this.trainSigmas);
    if (this.config.useKarrasSigmas) {
      const logSigmas = logSigmasOf(this.trainSigmas);
      sigmas = karrasSigmas(sigmas[sigmas.length - 1], sigmas[0], numSteps);
      timesteps = sigmas.map((s) => Math.fround(sigmaToTimestep(s, logSigmas)));
    }
    this.useSchedule(timesteps, sigmas);
  }

  scaleModelInput(sample: Float32Array, t: number): Float32Array {
    const sigma = this.sigmas[this.currentIndex(t)];
    const divisor = fr(Math.sqrt(fr(fr(sigma * sigma) + 1)));
    const out = this.scaled.take(sample.length);
    for (let i = 0; i < sample.length; i++) out[i] = sample[i] / divisor;
    return out;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array, noise?: NoiseSource): Float32Array {
    checkSameLength(this.name, modelOutput, sample);
    const index = this.currentIndex(t);
    const sigma = this.sigmas[index];
    const sigmaNext = this.sigmas[index + 1];
    const out = this.outputs.take(sample.length);
    const prediction = this.config.predictionType;
    // v-prediction x0 = ε·(−σ/√(σ²+1)) + x/(σ²+1)
    const sigmaSquaredPlusOne = fr(fr(sigma * sigma) + 1);
    const vOutputCoeff = fr(-sigma / fr(Math.sqrt(sigmaSquaredPlusOne)));

    let dt: number;
    let sigmaUp = 0;
    if (this.ancestral) {
      const from2 = fr(sigma * sigma);
      const to2 = fr(sigmaNext * sigmaNext);
      sigmaUp = fr(Math.sqrt(fr(fr(to2 * fr(from2 - to2)) / from2)));
      const sigmaDown = fr(Math.sqrt(fr(to2 - fr(sigmaUp * sigmaUp))));
      dt = fr(sigmaDown - sigma);
    } else {
      dt = fr(sigmaNext - sigma);
    }

    for (let i = 0; i < sample.length; i++) {
      const x = sample[i];
      const m = modelOutput[i];
      let x0: number;
      if (prediction === "epsilon") x0 = fr(x - fr(sigma * m));
      else if (prediction === "sample") x0 = m;
      else x0 = fr(fr(m * vOutputCoeff) + fr(x / sigmaSquaredPlusOne));
      const derivative = fr(fr(x - x0) / sigma);
      out[i] = fr(x + fr(derivative * dt));
    }

    if (this.ancestral) {
      if (!noise) throw new SchedulerStepError(this.name, "ancestral steps draw fresh noise: pass a noise source");
      const z = this.noiseBuffer.take(sample.length);
      noise(z);
      for (let i = 0; i < out.length; i++) out[i] = fr(out[i] + fr(z[i] * sigmaUp));
    }
    this.advance(index);
    return out;
  }

  /** x0 + σ_t·ε (diffusers `add_noise` in σ space). */
  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    const sigma = this.noiseSigma(original, noise, t);
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = original[i] + fr(noise[i] * sigma);
    return out;
  }
}
