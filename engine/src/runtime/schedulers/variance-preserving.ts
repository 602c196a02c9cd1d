/**
 * Shared by the schedulers that work in ᾱ space with integer timesteps (DDIM, PNDM and
 * DDIM inversion): the schedule, `add_noise`, and their leading/trailing/linspace lists.
 * Float32 scalar arithmetic mirrors diffusers, whose ᾱ are 0-dim float32 torch tensors:
 * every scalar op is rounded to float32 (Math.fround), every tensor op per element.
 */

import type { ResolvedSchedulerConfig } from "./config.ts";
import { computeNoiseSchedule } from "./noise-schedule.ts";
import { numpyArange, numpyLinspace, roundHalfEven } from "./numpy-ranges.ts";
import { SchedulerStepError } from "./types.ts";

const fr = Math.fround;

/** float32 √x as torch computes `x ** 0.5` on a float32 tensor. */
export const sqrtF32 = (x: number): number => fr(Math.sqrt(x));

/** ᾱ_t (diffusers `alphas_cumprod`) of a resolved config, float32, one per training timestep. */
export function alphasCumprodOf(config: ResolvedSchedulerConfig): Float32Array {
  return computeNoiseSchedule(config).alphasCumprod;
}

/** diffusers `add_noise` for ᾱ schedulers: √ᾱ_t·x0 + √(1 − ᾱ_t)·ε, elementwise in float32. */
export function addNoiseVariancePreserving(
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
export function ascendingTimesteps(config: ResolvedSchedulerConfig, numSteps: number, name: string): Float64Array {
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

/** ᾱ at an integer timestep, or `belowZero` (the "final"/"initial" ᾱ) when t < 0. */
export function alphaAt(alphasCumprod: Float32Array, t: number, belowZero: number): number {
  return t >= 0 ? alphasCumprod[t] : belowZero;
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

/** Checks `t` is an integer training timestep, so ᾱ[t] exists. */
export function checkTrainingTimestep(name: string, t: number, total: number): void {
  if (!(Number.isInteger(t) && t >= 0 && t < total)) {
    throw new SchedulerStepError(
      name,
      `timestep ${t} is not an integer in [0, ${total}); pass one of scheduler.timesteps`,
    );
  }
}
