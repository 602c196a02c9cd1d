/**
 * The steps a user asked for, from the UNet calls a scheduler makes. diffusers' PNDM with
 * `skip_prk_steps` (PNDMScheduler.set_timesteps) repeats one timestep, so 25 steps make 26
 * calls; progress is shown in the user's steps (x/25), spread evenly over the calls.
 */
export function userStepCount(timesteps: readonly number[]): number {
  return new Set(timesteps).size;
}

/**
 * Call `call` of `calls` as a step of `steps`, rounded, ending exactly on `steps`.
 *
 * @example userStep(13, 26, 25) // 13 (12.5 rounded)
 */
export function userStep(call: number, calls: number, steps: number): number {
  if (calls <= 0 || call >= calls) return steps;
  return Math.min(steps, Math.round((call * steps) / calls));
}
