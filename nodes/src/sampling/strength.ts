/**
 * Image-to-image strength (diffusers img2img `get_timesteps`): with N steps and denoise
 * strength s, run the last `min(int(N·s), N)` of the N timesteps; the input latents are
 * noised to the first of them. Returns the index of the first timestep to run (× the
 * scheduler's order, which is how many timestep entries one step consumes).
 */
export function firstStepIndex(steps: number, strength: number, order = 1): number {
  const initTimestep = Math.min(Math.trunc(steps * strength), steps);
  const start = Math.max(steps - initTimestep, 0);
  return start * order;
}
