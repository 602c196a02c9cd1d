/**
 * Shared by the schedulers that work in ᾱ space with integer timesteps (DDIM, PNDM and
 * DDIM inversion): the schedule, `add_noise`, their leading/trailing/linspace lists, and the
 * state and checks every one of them keeps (`VariancePreservingScheduler`).
 * Float32 scalar arithmetic mirrors diffusers, whose ᾱ are 0-dim float32 torch tensors:
 * every scalar op is rounded to float32 (Math.fround), every tensor op per element.
 */

import { PingPongBuffers } from "./buffers.ts";
import {
  resolveSchedulerConfig,
  type DiffusersSchedulerConfig,
  type ResolvedSchedulerConfig,
  type SchedulerDefaults,
} from "./config.ts";
import { computeNoiseSchedule } from "./noise-schedule.ts";
import { numpyArange, numpyLinspace, roundHalfEven } from "./numpy-ranges.ts";
import { SchedulerStepError, type NoiseSource, type Scheduler } from "./types.ts";

const fr = Math.fround;

/** float32 √x as torch computes `x ** 0.5` on a float32 tensor. */
export const sqrtF32 = (x: number): number => fr(Math.sqrt(x));

/** ᾱ_t (diffusers `alphas_cumprod`) of a resolved config, float32, one per training timestep. */
export function alphasCumprodOf(config: ResolvedSchedulerConfig): Float32Array {
  return computeNoiseSchedule(config).alphasCumprod;
}

/** diffusers `add_noise` for ᾱ schedulers: √ᾱ_t·x0 + √(1 − ᾱ_t)·ε, elementwise in float32. */
function addNoiseVariancePreserving(
  name: string,
  alphasCumprod: Float32Array,
  original: Float32Array,
  noise: Float32Array,
  t: number,
): Float32Array {
  if (original.length !== noise.length)
    throw new SchedulerStepError(name, `noise has ${noise.length} values, sample ${original.length}`);
  const index = Math.round(t);
  if (!(index >= 0 && index < alphasCumprod.length))
    throw new SchedulerStepError(name, `timestep ${t} is outside [0, ${alphasCumprod.length})`);
  const alpha = alphasCumprod[index];
  const a = sqrtF32(alpha);
  const b = sqrtF32(fr(1 - alpha));
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = fr(a * original[i]) + fr(b * noise[i]);
  return out;
}

/**
 * Inference timesteps in ascending order for DDIM/PNDM/DDIM-inverse style spacing
 * (diffusers `set_timesteps`): "leading" k·⌊N/n⌋ + steps_offset, "trailing"
 * round(N − k·N/n) − 1, "linspace" round(linspace(0, N − 1, n)).
 */
function ascendingTimesteps(config: ResolvedSchedulerConfig, numSteps: number, name: string): Float64Array {
  const total = config.numTrainTimesteps;
  if (!Number.isInteger(numSteps) || numSteps < 1 || numSteps > total) {
    throw new SchedulerStepError(name, `number of steps must be an integer in [1, ${total}], got ${numSteps}`);
  }
  switch (config.timestepSpacing) {
    case "leading": {
      const ratio = Math.floor(total / numSteps);
      return Float64Array.from({ length: numSteps }, (_, k) => k * ratio + config.stepsOffset);
    }
    case "trailing": {
      const descending = numpyArange(total, 0, -(total / numSteps));
      return descending.map((v) => roundHalfEven(v) - 1).reverse();
    }
    case "linspace":
      return numpyLinspace(0, total - 1, numSteps).map(roundHalfEven);
  }
}

/** Checks a step's tensors agree in size. */
export function checkSameLength(name: string, modelOutput: Float32Array, sample: Float32Array): void {
  if (modelOutput.length !== sample.length) {
    throw new SchedulerStepError(
      name,
      `model output has ${modelOutput.length} values but the sample has ${sample.length}`,
    );
  }
}

/**
 * What DDIM, DDIM inversion and PNDM share: the config resolved against the class's diffusers
 * defaults, ᾱ, the spaced timesteps and their ratio ⌊N/n⌋, the identity `scale_model_input`,
 * `add_noise`, and the checks before a step. A subclass orders the spaced timesteps its way
 * and writes its step.
 */
export abstract class VariancePreservingScheduler implements Scheduler {
  abstract readonly name: string;
  readonly config: ResolvedSchedulerConfig;
  readonly alphasCumprod: Float32Array;
  readonly initNoiseSigma = 1;
  readonly order = 1;
  timesteps: Float64Array = new Float64Array(0);
  /** ⌊N/n⌋ between two spaced timesteps (diffusers `num_train_timesteps // num_inference_steps`); 0 before `setTimesteps`. */
  protected stepRatio = 0;
  /** ᾱ below timestep 0: 1 with set_alpha_to_one, else ᾱ[0] (diffusers `final_alpha_cumprod`). */
  protected readonly belowZeroAlpha: number;
  protected readonly outputs = new PingPongBuffers();

  constructor(raw: DiffusersSchedulerConfig, defaults: SchedulerDefaults) {
    this.config = resolveSchedulerConfig(raw, defaults);
    this.alphasCumprod = alphasCumprodOf(this.config);
    this.belowZeroAlpha = this.config.setAlphaToOne ? 1 : this.alphasCumprod[0];
  }

  setTimesteps(numSteps: number): void {
    const ascending = ascendingTimesteps(this.config, numSteps, this.name);
    this.timesteps = this.orderTimesteps(ascending, numSteps);
    this.stepRatio = Math.floor(this.config.numTrainTimesteps / numSteps);
  }

  /** The evaluation order of the spaced timesteps (given ascending); also resets the step state. */
  protected abstract orderTimesteps(ascending: Float64Array, numSteps: number): Float64Array;

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  abstract step(modelOutput: Float32Array, t: number, sample: Float32Array, noise?: NoiseSource): Float32Array;

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseVariancePreserving(this.name, this.alphasCumprod, original, noise, t);
  }

  /** ᾱ at an integer timestep, or the below-zero ᾱ when t < 0. */
  protected alphaAt(t: number): number {
    return t >= 0 ? this.alphasCumprod[t] : this.belowZeroAlpha;
  }

  /** Throws unless the tensors agree in size, `setTimesteps` ran and `t` is an integer training timestep (so ᾱ[t] exists). */
  protected checkStep(modelOutput: Float32Array, t: number, sample: Float32Array): void {
    checkSameLength(this.name, modelOutput, sample);
    if (this.stepRatio === 0) throw new SchedulerStepError(this.name, "call setTimesteps before step");
    const total = this.config.numTrainTimesteps;
    if (!(Number.isInteger(t) && t >= 0 && t < total)) {
      throw new SchedulerStepError(
        this.name,
        `timestep ${t} is not an integer in [0, ${total}); pass one of scheduler.timesteps`,
      );
    }
  }
}
