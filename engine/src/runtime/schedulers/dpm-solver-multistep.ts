/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2, midpoint form) as
 * diffusers `DPMSolverMultistepScheduler` with solver_order 2, algorithm_type
 * "dpmsolver++", solver_type "midpoint", lower_order_final, final_sigmas_type "zero":
 * the model output becomes a data prediction x0; the first step (and the last, which
 * lands on σ = 0) is first order, the others combine the last two x0 in λ = log(α/σ).
 */

import { ReusableBuffer } from "./buffers.ts";
import type { DiffusersSchedulerConfig } from "./config.ts";
import { roundHalfEven } from "./numpy-ranges.ts";
import { SigmaSpaceScheduler } from "./sigma-space-scheduler.ts";
import { dpmSolverTimesteps } from "./sigma-timesteps.ts";
import { interpolateSigmas, karrasSigmas, logSigmasOf, sigmaToTimestep } from "./sigmas.ts";
import { torchExpF32, torchLogF32 } from "./torch-exp-log.ts";
import { checkSameLength } from "./variance-preserving.ts";

const fr = Math.fround;

/** float32 (α_t, σ_t) from the sigma-space σ: α = 1/√(σ²+1), σ_t = σ·α (diffusers `_sigma_to_alpha_sigma_t`). */
function alphaSigmaOf(sigma: number): [number, number] {
  const alpha = fr(1 / fr(Math.sqrt(fr(fr(sigma * sigma) + 1))));
  return [alpha, fr(sigma * alpha)];
}

/** float32 λ = log α − log σ with torch's float32 log (−∞ at σ = 0 gives λ = +∞, as in torch). */
function lambdaOf(alpha: number, sigma: number): number {
  return fr(torchLogF32(alpha) - torchLogF32(sigma));
}

export class DpmSolverMultistepScheduler extends SigmaSpaceScheduler {
  readonly name: string;
  readonly initNoiseSigma = 1;
  private lowerOrderCount = 0;
  /** x0 predictions of the previous and the current step. */
  private readonly previousX0 = new ReusableBuffer();
  private readonly spareX0 = new ReusableBuffer();
  private currentX0: Float32Array | null = null;
  private lastX0: Float32Array | null = null;

  constructor(raw: DiffusersSchedulerConfig, name = "dpmpp_2m") {
    super(raw);
    this.name = name;
  }

  setTimesteps(numSteps: number): void {
    let timesteps = dpmSolverTimesteps(this.config, numSteps, this.name);
    let sigmas: Float64Array;
    if (this.config.useKarrasSigmas) {
      const logSigmas = logSigmasOf(this.trainSigmas);
      const n = this.trainSigmas.length;
      sigmas = karrasSigmas(this.trainSigmas[0], this.trainSigmas[n - 1], numSteps);
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToTimestep(s, logSigmas)));
    } else {
      sigmas = interpolateSigmas(timesteps, this.trainSigmas);
    }
    this.useSchedule(timesteps, sigmas);
    this.lowerOrderCount = 0;
    this.currentX0 = null;
    this.lastX0 = null;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, t: number, sample: Float32Array): Float32Array {
    checkSameLength(this.name, modelOutput, sample);
    const index = this.currentIndex(t);
    const n = sample.length;
    const last = this.timesteps.length - 1;
    // final_sigmas_type "zero" makes the last step first order (diffusers' `lower_order_second`
    // only matters for order 3, the highest order here is 2).
    const lowerOrderFinal = index === last;

    const x0 = this.takeX0Buffer(n);
    this.convertToX0(modelOutput, sample, this.sigmas[index], x0);
    this.lastX0 = this.currentX0;
    this.currentX0 = x0;

    const out = this.outputs.take(n);
    if (this.lowerOrderCount < 1 || lowerOrderFinal || !this.lastX0) {
      this.firstOrderUpdate(x0, sample, index, out);
    } else {
      this.secondOrderUpdate(x0, this.lastX0, sample, index, out);
    }
    if (this.lowerOrderCount < 2) this.lowerOrderCount++;
    this.advance(index);
    return out;
  }

  /** α_t·x0 + σ_t·ε (diffusers `add_noise` for DPM-Solver). */
  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    const [alpha, sigma] = alphaSigmaOf(this.noiseSigma(original, noise, t));
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = fr(alpha * original[i]) + fr(sigma * noise[i]);
    return out;
  }

  /** diffusers `convert_model_output` for dpmsolver++: the data prediction x0. */
  private convertToX0(modelOutput: Float32Array, sample: Float32Array, sigma: number, x0: Float32Array): void {
    const [alpha, sigmaT] = alphaSigmaOf(sigma);
    const prediction = this.config.predictionType;
    for (let i = 0; i < x0.length; i++) {
      if (prediction === "epsilon") x0[i] = fr(sample[i] - fr(sigmaT * modelOutput[i])) / alpha;
      else if (prediction === "sample") x0[i] = modelOutput[i];
      else x0[i] = fr(alpha * sample[i]) - fr(sigmaT * modelOutput[i]);
    }
  }

  /** DPM-Solver++ first order (= DDIM): x_t = (σ_t/σ_s)·x − α_t(e^−h − 1)·x0. */
  private firstOrderUpdate(x0: Float32Array, sample: Float32Array, index: number, out: Float32Array): void {
    const [alphaT, sigmaT] = alphaSigmaOf(this.sigmas[index + 1]);
    const [alphaS, sigmaS] = alphaSigmaOf(this.sigmas[index]);
    const h = fr(lambdaOf(alphaT, sigmaT) - lambdaOf(alphaS, sigmaS));
    const sampleCoeff = fr(sigmaT / sigmaS);
    const x0Coeff = fr(alphaT * fr(torchExpF32(-h) - 1));
    for (let i = 0; i < out.length; i++) out[i] = fr(sampleCoeff * sample[i]) - fr(x0Coeff * x0[i]);
  }

  /** DPM-Solver++(2M) midpoint: D0 = x0_s0, D1 = (x0_s0 − x0_s1)/r0, x_t = (σ_t/σ_s0)x − α_t(e^−h − 1)(D0 + D1/2). */
  private secondOrderUpdate(
    m0: Float32Array,
    m1: Float32Array,
    sample: Float32Array,
    index: number,
    out: Float32Array,
  ): void {
    const [alphaT, sigmaT] = alphaSigmaOf(this.sigmas[index + 1]);
    const [alphaS0, sigmaS0] = alphaSigmaOf(this.sigmas[index]);
    const [alphaS1, sigmaS1] = alphaSigmaOf(this.sigmas[index - 1]);
    const lambdaT = lambdaOf(alphaT, sigmaT);
    const lambdaS0 = lambdaOf(alphaS0, sigmaS0);
    const lambdaS1 = lambdaOf(alphaS1, sigmaS1);
    const h = fr(lambdaT - lambdaS0);
    const h0 = fr(lambdaS0 - lambdaS1);
    const r0 = fr(h0 / h);
    const d1Coeff = fr(1 / r0);
    const sampleCoeff = fr(sigmaT / sigmaS0);
    const x0Coeff = fr(alphaT * fr(torchExpF32(-h) - 1));
    const halfX0Coeff = fr(0.5 * x0Coeff);
    for (let i = 0; i < out.length; i++) {
      const d1 = fr(d1Coeff * fr(m0[i] - m1[i]));
      out[i] = fr(fr(sampleCoeff * sample[i]) - fr(x0Coeff * m0[i])) - fr(halfX0Coeff * d1);
    }
  }

  /** Alternates two owned buffers so the previous x0 survives while the current one is written. */
  private takeX0Buffer(n: number): Float32Array {
    const a = this.previousX0.take(n);
    const b = this.spareX0.take(n);
    return this.currentX0 === a ? b : a;
  }
}
