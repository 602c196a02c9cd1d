/**
 * `torch.linspace(start, end, steps, dtype=torch.float32)` on CPU, bit for bit: diffusers
 * builds its beta schedules with it, and one ulp in a beta moves alphas_cumprod.
 *
 * ATen's `linspace_kernel` (native/cpu/RangeFactoriesKernel.cpp) works in float32: the
 * step is (end − start)/(steps − 1); the first half counts up from `start`, the second
 * half down from `end` (so both ends are exact). Its vectorised loop fills 8 lanes from
 * one base value — base + l·step per lane — two vectors at a time while 16 values remain,
 * and the remainder value by value. The AVX2 build fuses `start + step·idx` into one fma;
 * the per-lane products are rounded before the add. Checked against torch 1.13 (AVX2) on
 * the 1000-step linear and scaled_linear schedules and other sizes.
 */

import { fmaF32 } from "../noise/float32-math.ts";

const LANES = 8;
const fr = Math.fround;

/** `torch.linspace(start, end, steps, dtype=torch.float32)` on CPU. @example torchLinspaceFloat32(0.0001, 0.02, 1000) */
export function torchLinspaceFloat32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 0) return out;
  const s = fr(start);
  const e = fr(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = fr(fr(e - s) / fr(steps - 1));
  const halfway = Math.floor(steps / 2);
  const valueAt = (idx: number): number => (idx < halfway ? fmaF32(step, idx, s) : fmaF32(-step, steps - idx - 1, e));
  let i = 0;
  for (; i <= steps - 2 * LANES; i += LANES) {
    const base = valueAt(i);
    for (let lane = 0; lane < LANES; lane++) out[i + lane] = fr(base + fr(lane * step));
  }
  for (; i < steps; i++) out[i] = valueAt(i);
  return out;
}
