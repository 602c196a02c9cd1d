/**
 * Classifier-free guidance (Ho & Salimans 2022; diffusers pipelines): with the UNet's
 * output for the batch [uncond; cond] of 2B rows, `uncond + g·(cond − uncond)` per row.
 * Writes into `out` (B rows) so the sampler reuses one buffer for every step.
 */
export function combineGuidance(batched: Float32Array, guidanceScale: number, out: Float32Array): Float32Array {
  const half = out.length;
  if (batched.length !== 2 * half) throw new Error(`guidance needs 2×${half} values, got ${batched.length}`);
  const g = Math.fround(guidanceScale);
  for (let i = 0; i < half; i++) {
    const uncond = batched[i];
    // The same float32 steps as torch: uncond + g * (cond - uncond).
    out[i] = uncond + Math.fround(g * Math.fround(batched[half + i] - uncond));
  }
  return out;
}

/** diffusers: guidance runs only when the scale is above 1 (`do_classifier_free_guidance`). */
export function usesGuidance(guidanceScale: number): boolean {
  return guidanceScale > 1;
}
