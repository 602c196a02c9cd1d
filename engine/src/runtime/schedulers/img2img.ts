/**
 * Which timesteps an image-to-image run keeps for a denoising strength: diffusers
 * `StableDiffusionImg2ImgPipeline.get_timesteps` — the last ⌊n·strength⌋ steps of the
 * n-step schedule, starting where the noised input latent sits.
 */

import { SchedulerStepError, type Scheduler } from "./types.ts";

export interface Img2ImgTimesteps {
  /** The timesteps to run, in order (a tail of `scheduler.timesteps`). */
  timesteps: Float64Array;
  /** Index into `scheduler.timesteps` of the first one kept (`t_start · order`). */
  startIndex: number;
  /** The timestep to noise the input latent to (`timesteps[0]`), or null when strength keeps no step. */
  noiseTimestep: number | null;
}

/**
 * @param scheduler a scheduler after `setTimesteps(numSteps)`
 * @param strength in (0, 1]: 1 starts from pure noise, small values keep the input close
 * @example const { timesteps, noiseTimestep } = img2imgTimesteps(scheduler, 50, 0.6) // 30 steps
 */
export function img2imgTimesteps(scheduler: Scheduler, numSteps: number, strength: number): Img2ImgTimesteps {
  if (!(strength > 0 && strength <= 1)) {
    throw new SchedulerStepError(scheduler.name, `denoise strength must be in (0, 1], got ${strength}`);
  }
  const initTimestep = Math.min(Math.trunc(numSteps * strength), numSteps);
  const tStart = Math.max(numSteps - initTimestep, 0);
  const startIndex = tStart * scheduler.order;
  const timesteps = scheduler.timesteps.slice(startIndex);
  return { timesteps, startIndex, noiseTimestep: timesteps.length > 0 ? timesteps[0] : null };
}
