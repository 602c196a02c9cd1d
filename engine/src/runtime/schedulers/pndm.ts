/**
 * PNDM (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on Manifolds":
 * the transfer of eq. 11 with the linear multistep ε of eq. 14), as diffusers
 * `PNDMScheduler`. With `skip_prk_steps` (the scheduler BLIP-Diffusion ships with) it runs
 * PLMS only; without, three Runge–Kutta-like warm-up steps (eq. 13, 4 evaluations each,
 * `step_prk`) fill the ε history first.
 *
 * diffusers' quirks are kept because outputs depend on them: the timestep list repeats its
 * second entry ([980, 960, 960, 940, …] for 50 steps); the first call takes an Euler-like
 * step with ε₀ and remembers the sample; the second call (at the repeated timestep) goes
 * back to that sample and steps from the first timestep again with (ε₀ + ε₁)/2; later
 * calls use the 2-, 3- then 4-term Adams–Bashforth combination of the stored ε.
 */

import { ReusableBuffer } from "./buffers.ts";
import { SchedulerConfigError, type DiffusersSchedulerConfig } from "./config.ts";
import { SchedulerStepError } from "./types.ts";
import { sqrtF32, VariancePreservingScheduler } from "./variance-preserving.ts";

const fr = Math.fround;
const ONE_24TH = fr(1 / 24);
const ONE_SIXTH = fr(1 / 6);
const ONE_THIRD = fr(1 / 3);

export const PNDM_DEFAULTS = {
  setAlphaToOne: false,
  timestepSpacing: "leading",
  clipSample: false,
  skipPrkSteps: false,
} as const;

export class PndmScheduler extends VariancePreservingScheduler {
  readonly name = "pndm";
  private counter = 0;
  /** Ring of the last 4 model outputs (diffusers `ets[-4:]`), oldest first via `etsStart`. */
  private ets: Float32Array[] = [];
  private etsCount = 0;
  private etsStart = 0;
  private readonly firstSample = new ReusableBuffer();
  private readonly combined = new ReusableBuffer();
  /** Runge–Kutta warm-up timesteps (empty with skip_prk_steps) and the running ε sum of one RK step. */
  private prkTimesteps: number[] = [];
  private readonly rungeKuttaSum = new ReusableBuffer();

  constructor(raw: DiffusersSchedulerConfig) {
    super(raw, PNDM_DEFAULTS);
  }

  protected orderTimesteps(base: Float64Array, numSteps: number): Float64Array {
    let timesteps: Float64Array;
    if (this.config.skipPrkSteps) {
      // diffusers: concatenate([ts[:-1], ts[-2:-1], ts[-1:]])[::-1] — the second-largest timestep
      // repeats; with one step ts[-2:-1] is empty and the list is just [t].
      const plms =
        base.length > 1
          ? [...base.subarray(0, base.length - 1), base[base.length - 2], base[base.length - 1]]
          : [...base];
      this.prkTimesteps = [];
      timesteps = Float64Array.from(plms).reverse();
    } else {
      if (numSteps < 4)
        throw new SchedulerConfigError(
          "skip_prk_steps",
          "true for fewer than 4 steps (the Runge–Kutta warm-up needs 4)",
          false,
        );
      // diffusers: the 4 largest timesteps, each followed by its half-step (+⌊⌊N/n⌋/2⌋), then
      // [:-1].repeat(2)[1:-1] reversed: 12 evaluations, 3 RK steps of 4; PLMS continues below them.
      const half = Math.floor(Math.floor(this.config.numTrainTimesteps / numSteps) / 2);
      const withHalves = [...base.subarray(base.length - 4)].flatMap((t) => [t, t + half]);
      const doubled = withHalves.slice(0, -1).flatMap((t) => [t, t]);
      this.prkTimesteps = doubled.slice(1, -1).reverse();
      const plms = [...base.subarray(0, base.length - 3)].reverse();
      timesteps = Float64Array.from([...this.prkTimesteps, ...plms]);
    }
    this.counter = 0;
    this.etsCount = 0;
    this.etsStart = 0;
    return timesteps;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    this.checkStep(modelOutput, t, sample);
    if (this.counter < this.prkTimesteps.length) return this.stepRungeKutta(modelOutput, t, sample);
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

  /**
   * diffusers `step_prk`: four evaluations per step (at t, t − h/2 twice, t − h) whose ε
   * combine as (ε₁ + 2ε₂ + 2ε₃ + ε₄)/6, each one also moving the step's starting sample.
   */
  private stepRungeKutta(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    const n = sample.length;
    const phase = this.counter % 4;
    const prevTimestep = t - (this.counter % 2 ? 0 : Math.floor(this.stepRatio / 2));
    const timestep = this.prkTimesteps[this.counter - phase];
    const sum = this.rungeKuttaSum.take(n);
    let eps = modelOutput;
    if (phase === 0) {
      for (let i = 0; i < n; i++) sum[i] = fr(ONE_SIXTH * modelOutput[i]);
      this.pushEts(modelOutput);
      this.firstSample.take(n).set(sample);
    } else if (phase === 3) {
      eps = this.combined.take(n);
      for (let i = 0; i < n; i++) eps[i] = fr(sum[i] + fr(ONE_SIXTH * modelOutput[i]));
    } else {
      for (let i = 0; i < n; i++) sum[i] = fr(sum[i] + fr(ONE_THIRD * modelOutput[i]));
    }
    const out = this.outputs.take(n);
    this.previousSample(this.firstSample.take(n), timestep, prevTimestep, eps, out);
    this.counter++;
    return out;
  }

  /** diffusers `_get_prev_sample` (PNDM paper eq. 11): x_prev = √(ᾱ_prev/ᾱ_t)·x − (ᾱ_prev − ᾱ_t)·ε / (ᾱ_t√(1 − ᾱ_prev) + √(ᾱ_t(1 − ᾱ_t)ᾱ_prev)). */
  private previousSample(
    sample: Float32Array,
    t: number,
    prevT: number,
    modelOutput: Float32Array,
    out: Float32Array,
  ): void {
    const alphaT = this.alphasCumprod[t];
    const alphaPrev = this.alphaAt(prevT);
    const betaT = fr(1 - alphaT);
    const betaPrev = fr(1 - alphaPrev);
    const sampleCoeff = sqrtF32(fr(alphaPrev / alphaT));
    const denominator = fr(fr(alphaT * sqrtF32(betaPrev)) + sqrtF32(fr(fr(alphaT * betaT) * alphaPrev)));
    const alphaDiff = fr(alphaPrev - alphaT);
    const vPrediction = this.config.predictionType === "v_prediction";
    if (!vPrediction && this.config.predictionType !== "epsilon") {
      throw new SchedulerStepError(
        this.name,
        `prediction_type "${this.config.predictionType}" is not supported by PNDM`,
      );
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
    if (this.ets.length !== 4 || this.ets[0].length !== n)
      this.ets = Array.from({ length: 4 }, () => new Float32Array(n));
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
