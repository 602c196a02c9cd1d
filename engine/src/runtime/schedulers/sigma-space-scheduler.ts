/**
 * What Euler, Euler ancestral and DPM-Solver share (diffusers `EulerDiscreteScheduler` and
 * `DPMSolverMultistepScheduler`): ᾱ and the training σ, a schedule of timesteps with their σ
 * and a final σ = 0, the step index found from the first timestep and counted after
 * (`_init_step_index`), and the checks of `add_noise`.
 */

import { PingPongBuffers } from "./buffers.ts";
import { resolveSchedulerConfig, type DiffusersSchedulerConfig, type ResolvedSchedulerConfig } from "./config.ts";
import { indexForTimestep, trainingSigmas } from "./sigmas.ts";
import { SchedulerStepError, type NoiseSource, type Scheduler } from "./types.ts";
import { alphasCumprodOf } from "./variance-preserving.ts";

/** diffusers' `__init__` defaults of both classes for the keys a config may leave out. */
export const SIGMA_SPACE_DEFAULTS = {
  setAlphaToOne: false,
  timestepSpacing: "linspace",
  clipSample: false,
  skipPrkSteps: false,
} as const;

export abstract class SigmaSpaceScheduler implements Scheduler {
  abstract readonly name: string;
  abstract readonly initNoiseSigma: number;
  readonly config: ResolvedSchedulerConfig;
  readonly alphasCumprod: Float32Array;
  readonly order = 1;
  timesteps: Float64Array = new Float64Array(0);
  /** [n + 1] float32 σ for each timestep, then 0. */
  sigmas = new Float32Array(0);
  /** [N] float32 σ per training timestep. */
  protected readonly trainSigmas: Float32Array;
  protected readonly outputs = new PingPongBuffers();
  private stepIndex: number | null = null;

  constructor(raw: DiffusersSchedulerConfig) {
    this.config = resolveSchedulerConfig(raw, SIGMA_SPACE_DEFAULTS);
    this.alphasCumprod = alphasCumprodOf(this.config);
    this.trainSigmas = trainingSigmas(this.alphasCumprod);
  }

  abstract setTimesteps(numSteps: number): void;
  abstract scaleModelInput(sample: Float32Array, t: number): Float32Array;
  abstract step(modelOutput: Float32Array, t: number, sample: Float32Array, noise?: NoiseSource): Float32Array;
  abstract addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array;

  /** Takes `timesteps` and their σ (float32, then a final 0) as the schedule; the next step finds its index again. */
  protected useSchedule(timesteps: Float64Array, sigmas: Float64Array): void {
    this.timesteps = timesteps;
    this.sigmas = new Float32Array(sigmas.length + 1);
    this.sigmas.set(sigmas);
    this.stepIndex = null;
  }

  /** The index of the step at `t`: looked up on the first step (an img2img start may be mid-schedule), then counted. */
  protected currentIndex(t: number): number {
    this.stepIndex ??= this.indexOf(t);
    return this.stepIndex;
  }

  /** Moves the step index past the step just taken. */
  protected advance(index: number): void {
    this.stepIndex = index + 1;
  }

  /** σ at `t` for `add_noise`, after checking the noise fits the sample. */
  protected noiseSigma(original: Float32Array, noise: Float32Array, t: number): number {
    if (original.length !== noise.length)
      throw new SchedulerStepError(this.name, `noise has ${noise.length} values, sample ${original.length}`);
    return this.sigmas[this.indexOf(t)];
  }

  private indexOf(t: number): number {
    const index = indexForTimestep(this.timesteps, t);
    if (index < 0)
      throw new SchedulerStepError(this.name, `timestep ${t} is not in the schedule; call setTimesteps first`);
    return index;
  }
}
