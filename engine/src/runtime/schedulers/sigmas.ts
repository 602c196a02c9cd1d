/**
 * Sigma-space helpers shared by Euler, Euler ancestral and DPM-Solver (diffusers
 * `EulerDiscreteScheduler` / `DPMSolverMultistepScheduler.set_timesteps`): σ_t =
 * √((1 − ᾱ_t)/ᾱ_t), interpolation at fractional timesteps, and Karras et al. 2022
 * ("Elucidating the Design Space…", eq. 5) ρ = 7 spacing with its σ → t inversion.
 */

import { interpolateAtIndex, numpyLinspace } from "./numpy-ranges.ts";

const fr = Math.fround;

/** [N] float32 σ per training timestep, as the float32 tensor expression ((1 − ᾱ)/ᾱ) ** 0.5. */
export function trainingSigmas(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => fr(Math.sqrt(fr(fr(1 - a) / a))));
}

/** np.interp of σ at each (possibly fractional) timestep, in double. */
export function interpolateSigmas(timesteps: Float64Array, sigmas: Float32Array): Float64Array {
  return timesteps.map((t) => interpolateAtIndex(t, sigmas));
}

/** diffusers `_convert_to_karras`: n σ from σ_max down to σ_min, evenly spaced in σ^(1/ρ), ρ = 7 (double). */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, count: number): Float64Array {
  const rho = 7;
  const ramp = numpyLinspace(0, 1, count);
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return ramp.map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
}

/**
 * diffusers `_sigma_to_t`: the fractional timestep whose log σ matches, interpolating
 * linearly in log σ between the bracketing training timesteps. `logSigmas` are the
 * float32 logs of the training σ (numpy takes the log of a float32 array in float32).
 */
export function sigmaToTimestep(sigma: number, logSigmas: Float32Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  // Last index whose log σ ≤ log σ (log σ increases with t), clipped to [0, N − 2].
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i] >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lowLog = logSigmas[low];
  const highLog = logSigmas[low + 1];
  let w = (lowLog - logSigma) / fr(lowLog - highLog);
  w = Math.min(Math.max(w, 0), 1);
  return (1 - w) * low + w * (low + 1);
}

/** float32 logs of float32 σ, as np.log on a float32 array. */
export function logSigmasOf(sigmas: Float32Array): Float32Array {
  return sigmas.map((s) => fr(Math.log(s)));
}

/**
 * diffusers `index_for_timestep`: where `t` sits in the schedule; when it appears more than
 * once (Karras schedules can repeat a rounded timestep) the second occurrence, so an
 * img2img start in the middle of the list does not skip a sigma.
 */
export function indexForTimestep(timesteps: Float64Array, t: number): number {
  const matches: number[] = [];
  for (let i = 0; i < timesteps.length && matches.length < 2; i++)
    if (timesteps[i] === Math.fround(t) || timesteps[i] === t) matches.push(i);
  if (matches.length === 0) return -1;
  return matches.length > 1 ? matches[1] : matches[0];
}
