import type { PackManifest } from "../pack/manifest.ts";

/**
 * What the Sampler needs from a noise scheduler, on flat float32 latents. The runtime's
 * schedulers (engine/src/runtime/schedulers) are adapted to this in `createSamplingScheduler`.
 */
export interface SamplingScheduler {
  /** The timesteps of the run, in order, after `set_timesteps(steps)`. */
  readonly timesteps: readonly number[];
  readonly initNoiseSigma: number;
  /** Timestep entries one step consumes (diffusers `scheduler.order`). */
  readonly order: number;
  /** diffusers `scale_model_input`; identity for DDIM/PNDM. */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  /** diffusers `step(...).prev_sample`. */
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array;
  /** diffusers `add_noise(original, noise, timestep)`. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
}

export type SchedulerConfig = PackManifest["scheduler"];
