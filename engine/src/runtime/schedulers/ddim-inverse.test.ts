import { describe, expect, it } from "vitest";
import { createDdimInverseScheduler, createScheduler } from "./create-scheduler.ts";
import { recipeTensor } from "./test-support.ts";

// MODEL_PACK.md: inversion and edit use DDIM with the pack's betas, steps_offset 1,
// clip_sample false, set_alpha_to_one false, eta 0, "leading" spacing.
const lavisDdim = {
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  beta_end: 0.012,
  steps_offset: 1,
  clip_sample: false,
  set_alpha_to_one: false,
  timestep_spacing: "leading",
};

/**
 * An oracle noise predictor: the data lie on the path x_t = √ᾱ_t·x0 + √(1 − ᾱ_t)·ε* for a
 * fixed ε*, so predicting ε* makes every DDIM step exact and inversion must retrace it.
 */
const epsilonStar = recipeTensor(7, 1, 256);

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("DDIM inversion then DDIM sampling with an oracle ε returns the start", () => {
  for (const formula of ["lavis", "diffusers"] as const) {
    it(`${formula} formula, 50 steps`, () => {
      const clean = recipeTensor(3, 0.9, 256);
      const inverse = createDdimInverseScheduler(lavisDdim, { formula });
      inverse.setTimesteps(50);
      // Inversion starts at the lowest level of the schedule, ᾱ_0 (t − 20 < 0 and set_alpha_to_one false).
      const start = inverse.addNoise(clean, epsilonStar, 0);
      let latent = start.slice();
      for (const t of inverse.timesteps) latent = inverse.step(epsilonStar, t, latent).slice();

      // The inverted latent is the clean data noised to the last timestep with ε*.
      const last = inverse.timesteps[inverse.timesteps.length - 1];
      expect(maxAbsDiff(latent, inverse.addNoise(clean, epsilonStar, last))).toBeLessThan(2e-5);

      // DDIM sampling from there retraces the path back to the start.
      const ddim = createScheduler("ddim", lavisDdim);
      ddim.setTimesteps(50);
      for (const t of ddim.timesteps) latent = ddim.step(epsilonStar, t, latent).slice();
      expect(maxAbsDiff(latent, start)).toBeLessThan(2e-5);
    });
  }

  it("inverts the first step from ᾱ_0 (t − 20 < 0) to ᾱ_1", () => {
    const inverse = createDdimInverseScheduler(lavisDdim);
    inverse.setTimesteps(50);
    expect(inverse.timesteps[0]).toBe(1);
    const x = new Float32Array([0.5, -0.25]);
    const eps = new Float32Array([0, 0]);
    const out = inverse.step(eps, 1, x);
    // with ε = 0 the step is x·√(ᾱ_1/ᾱ_0) = x·√(1 − β_1)
    const a = inverse.alphasCumprod;
    expect(out[0]).toBeCloseTo(0.5 * Math.sqrt(a[1] / a[0]), 6);
    expect(out[1]).toBeCloseTo(-0.25 * Math.sqrt(a[1] / a[0]), 6);
  });
});
