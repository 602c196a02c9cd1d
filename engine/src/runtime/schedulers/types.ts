/**
 * One interface for every diffusion scheduler, so a sampler node can loop
 * `for (const t of scheduler.timesteps) { x = scheduler.step(unet(scaleModelInput(x, t), t), t, x) }`
 * whatever scheduler the user picked (diffusers' `SchedulerMixin` contract).
 */

import type { ResolvedSchedulerConfig } from "./config.ts";

/** Fills `out` with independent standard normal values (e.g. a `TorchGenerator`'s `fillNormal`). */
export type NoiseSource = (out: Float32Array) => void;

export interface Scheduler {
  /** The name it was created under. */
  readonly name: string;
  readonly config: ResolvedSchedulerConfig;
  /** [numTrainTimesteps] float32 ᾱ, shared with callers that need noise levels (e.g. prompt-to-prompt schedules). */
  readonly alphasCumprod: Float32Array;
  /** The timesteps to evaluate the model at, in order (after `setTimesteps`); PNDM repeats one. */
  readonly timesteps: Float64Array;
  /** Standard deviation of the starting noise: multiply `randn` latents by it. */
  readonly initNoiseSigma: number;
  /** Model evaluations per user-visible step (diffusers `order`; 1 for all schedulers here). */
  readonly order: number;
  /** Prepares `timesteps` for `numSteps` inference steps and resets all step state. */
  setTimesteps(numSteps: number): void;
  /**
   * The model input for timestep `t`: the sample itself for variance-preserving schedulers,
   * sample/√(σ²+1) for the sigma-space ones (written into a buffer the scheduler owns and reuses).
   */
  scaleModelInput(sample: Float32Array, t: number): Float32Array;
  /**
   * One denoising step from `sample` at `t` with the model's output there. Returns the next
   * sample in a scheduler-owned buffer (two alternate, so the returned array stays valid
   * until the step after next; copy it to keep it). `noise` is used by stochastic steps only.
   */
  step(modelOutput: Float32Array, t: number, sample: Float32Array, noise?: NoiseSource): Float32Array;
  /** `original` noised to timestep `t` with `noise` (diffusers `add_noise`), into a new array. */
  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array;
}

/** A step that cannot run: wrong sizes, a timestep not in the schedule, no noise for a stochastic step. */
export class SchedulerStepError extends Error {
  readonly code = "SCHEDULER_STEP";
  constructor(
    readonly scheduler: string,
    message: string,
  ) {
    super(`${scheduler}: ${message}`);
    this.name = "SchedulerStepError";
  }
}
