/**
 * PNDM in its PLMS form (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models
 * on Manifolds", eq. 12 with the linear multistep ε of eq. 14), as diffusers
 * `PNDMScheduler` with `skip_prk_steps`: the scheduler BLIP-Diffusion ships with.
 *
 * diffusers' quirks are kept because outputs depend on them: the timestep list repeats its
 * second entry ([980, 960, 960, 940, …] for 50 steps); the first call takes an Euler-like
 * step with ε₀ and remembers the sample; the second call (at the repeated timestep) goes
 * back to that sample and steps from the first timestep again with (ε₀ + ε₁)/2; later
 * calls use the 2-, 3- then 4-term Adams–Bashforth combination of the stored ε.
 */

import { PingPongBuffers, ReusableBuffer } from "./buffers.ts";
import { resolveSchedulerConfig, SchedulerConfigError, type DiffusersSchedulerConfig, type ResolvedSchedulerConfig } from "./config.ts";
import { SchedulerStepError, type Scheduler } from "./types.ts";
import { addNoiseVariancePreserving, alphaAt, alphasCumprodOf, ascendingTimesteps, checkSameLength, checkTrainingTimestep, sqrtF32 } from "./variance-preserving.ts";

const fr = Math.fround;
const ONE_24TH = fr(1 / 24);

export const PNDM_DEFAULTS = { setAlphaToOne: false, timestepSpacing: "leading", clipSample: false, skipPrkSteps: false } as const;

export class PndmScheduler implements Scheduler {
  readonly name = "pndm";
  readonly config: ResolvedSchedulerConfig;
  readonly alphasCumprod: Float32Array;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  timesteps: Float64Array = new Float64Array(0);
  private readonly finalAlphaCumprod: number;
  private stepRatio = 0;
  private counter = 0;
  /** Ring of the last 4 model outputs (diffusers `ets[-4:]`), oldest first via `etsStart`. */
  private ets: Float32Array[] = [];
  private etsCount = 0;
  private etsStart = 0;
  private readonly firstSample = new ReusableBuffer();
  private readonly combined = new ReusableBuffer();
  private readonly outputs = new PingPongBuffers();

  constructor(raw: DiffusersSchedulerConfig) {
    this.config = resolveSchedulerConfig(raw, PNDM_DEFAULTS);
    if (!this.config.skipPrkSteps) {
      // The Runge–Kutta warm-up is not implemented; every released Stable-Diffusion-family config skips it.
      throw new SchedulerConfigError("skip_prk_steps", "true (PNDM runs here in its PLMS form only)", false);
    }
    this.alphasCumprod = alphasCumprodOf(this.config);
    this.finalAlphaCumprod = this.config.setAlphaToOne ? 1 : this.alphasCumprod[0];
  }

  setTimesteps(numSteps: number): void {
    const base = ascendingTimesteps(this.config, numSteps, this.name);
    // diffusers: concatenate([ts[:-1], ts[-2:-1], ts[-1:]])[::-1] — the second-largest timestep
    // repeats; with one step ts[-2:-1] is empty and the list is just [t].
    const plms = base.length > 1 ? [...base.subarray(0, base.length - 1), base[base.length - 2], base[base.length - 1]] : [...base];
    this.timesteps = Float64Array.from(plms).reverse();
    this.stepRatio = Math.floor(this.config.numTrainTimesteps / numSteps);
    this.counter = 0;
    this.etsCount = 0;
    this.etsStart = 0;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    checkSameLength(this.name, modelOutput, sample);
    if (this.stepRatio === 0) throw new SchedulerStepError(this.name, "call setTimesteps before step");
    checkTrainingTimestep(this.name, t, this.config.numTrainTimesteps);
    const n = sample.length;
    let timestep = t;
    let prevTimestep = t - this.stepRatio;
    if (this.counter !== 1) {
      this.pushEts(modelOutput);
    } else {
      prevTimestep = t;
      timestep = t + this.stepRatio;
    }

    let eps: Float32Array;
    let from = sample;
    const e = (back: number) => this.etsAt(back);
    if (this.etsCount === 1 && this.counter === 0) {
      eps = modelOutput;
      this.firstSample.take(n).set(sample);
    } else if (this.etsCount === 1 && this.counter === 1) {
      eps = this.combined.take(n);
      const e1 = e(1);
      for (let i = 0; i < n; i++) eps[i] = fr(fr(modelOutput[i] + e1[i]) / 2);
      from = this.firstSample.take(n);
    } else if (this.etsCount === 2) {
      eps = this.combined.take(n);
      const [e1, e2] = [e(1), e(2)];
      for (let i = 0; i < n; i++) eps[i] = fr(fr(fr(3 * e1[i]) - e2[i]) / 2);
    } else if (this.etsCount === 3) {
      eps = this.combined.take(n);
      const [e1, e2, e3] = [e(1), e(2), e(3)];
      for (let i = 0; i < n; i++) eps[i] = fr(fr(fr(fr(23 * e1[i]) - fr(16 * e2[i])) + fr(5 * e3[i])) / 12);
    } else {
      eps = this.combined.take(n);
      const [e1, e2, e3, e4] = [e(1), e(2), e(3), e(4)];
      for (let i = 0; i < n; i++) {
        const sum = fr(fr(fr(fr(55 * e1[i]) - fr(59 * e2[i])) + fr(37 * e3[i])) - fr(9 * e4[i]));
        eps[i] = fr(ONE_24TH * sum);
      }
    }

    const out = this.outputs.take(n);
    this.previousSample(from, timestep, prevTimestep, eps, out);
    this.counter++;
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseVariancePreserving(this.name, this.alphasCumprod, original, noise, t);
  }

  /** diffusers `_get_prev_sample` (PNDM paper eq. 11): x_prev = √(ᾱ_prev/ᾱ_t)·x − (ᾱ_prev − ᾱ_t)·ε / (ᾱ_t√(1 − ᾱ_prev) + √(ᾱ_t(1 − ᾱ_t)ᾱ_prev)). */
  private previousSample(sample: Float32Array, t: number, prevT: number, modelOutput: Float32Array, out: Float32Array): void {
    const alphaT = this.alphasCumprod[t];
    const alphaPrev = alphaAt(this.alphasCumprod, prevT, this.finalAlphaCumprod);
    const betaT = fr(1 - alphaT);
    const betaPrev = fr(1 - alphaPrev);
    const sampleCoeff = sqrtF32(fr(alphaPrev / alphaT));
    const denominator = fr(fr(alphaT * sqrtF32(betaPrev)) + sqrtF32(fr(fr(alphaT * betaT) * alphaPrev)));
    const alphaDiff = fr(alphaPrev - alphaT);
    const vPrediction = this.config.predictionType === "v_prediction";
    if (!vPrediction && this.config.predictionType !== "epsilon") {
      throw new SchedulerStepError(this.name, `prediction_type "${this.config.predictionType}" is not supported by PNDM`);
    }
    const sqrtAlphaT = sqrtF32(alphaT);
    const sqrtBetaT = sqrtF32(betaT);
    for (let i = 0; i < out.length; i++) {
      const x = sample[i];
      const eps = vPrediction ? fr(fr(sqrtAlphaT * modelOutput[i]) + fr(sqrtBetaT * x)) : modelOutput[i];
      out[i] = fr(fr(sampleCoeff * x) - fr(fr(alphaDiff * eps) / denominator));
    }
  }

  private pushEts(modelOutput: Float32Array): void {
    const n = modelOutput.length;
    if (this.ets.length !== 4 || this.ets[0].length !== n) this.ets = Array.from({ length: 4 }, () => new Float32Array(n));
    const slot = (this.etsStart + this.etsCount) % 4;
    this.ets[this.etsCount < 4 ? slot : this.etsStart].set(modelOutput);
    if (this.etsCount < 4) this.etsCount++;
    else this.etsStart = (this.etsStart + 1) % 4;
  }

  /** The `back`-th most recent stored ε (1 = newest), diffusers `ets[-back]`. */
  private etsAt(back: number): Float32Array {
    return this.ets[(this.etsStart + this.etsCount - back) % 4];
  }
}
