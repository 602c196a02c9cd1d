/**
 * float32 `exp` and `log` as torch computes them on x86 CPUs: SLEEF's 1-ulp vector
 * functions `Sleef_expf8_u10` / `Sleef_logf8_u10` (sleefsimdsp.c `xexpf`, `xlogf_u1` with
 * the FMA double-float helpers of df.h), used by torch even for 0-dim tensors. They differ
 * from the correctly rounded result in the last bit for roughly 1 value in 10, which moves
 * DPM-Solver's λ = log α − log σ and e^−h coefficients; reproducing them keeps DPM++ steps
 * bit-equal to diffusers on CPU (checked against torch 1.13 on 80 000 inputs, see
 * tools/scheduler_vectors.py).
 */

import { fmaF32, float32Bits, float32FromBits } from "../noise/float32-math.ts";
import { roundHalfEven } from "./numpy-ranges.ts";

const fr = Math.fround;
const R_LN2 = fr(1.4426950408889634);
const L2U = fr(0.693145751953125);
const L2L = fr(1.428606765330187e-6);
const EXP_POLY = [0.0013930435525253415, 0.008333360776305199, 0.041666485369205475, 0.1666666716337204, 0.5].map(fr);
const EXP_POLY_0 = fr(0.00019852761761285365);

/** torch.exp on a float32 value (SLEEF xexpf, u10). */
export function torchExpF32(input: number): number {
  const d = fr(input);
  if (d < -104) return 0;
  if (d > 100) return Infinity;
  if (Number.isNaN(d)) return NaN;
  const q = roundHalfEven(fr(d * R_LN2));
  let s = fmaF32(q, -L2U, d);
  s = fmaF32(q, -L2L, s);
  let u = EXP_POLY_0;
  for (const c of EXP_POLY) u = fmaF32(u, s, c);
  u = fr(1 + fmaF32(fr(s * s), u, s));
  // vldexp2: scale by 2^q in two halves so no intermediate power overflows.
  const half = q >> 1;
  return fr(fr(u * 2 ** half) * 2 ** (q - half));
}

const LN2_HI = fr(0.6931471824645996);
const LN2_LO = fr(-1.904654323148236e-9);
const FOUR_THIRDS = fr(1 / 0.75);
const FLT_MIN = 2 ** -126;
const LOG_POLY = [0.3027294874, 0.3996108174, 0.666669488].map(fr);

/** dfadd2_vf2_vf_vf: the float pair (hi, lo) of x + y, written into `out`. */
function twoSum(x: number, y: number, out: [number, number]): void {
  const hi = fr(x + y);
  const v = fr(hi - x);
  out[0] = hi;
  out[1] = fr(fr(x - fr(hi - v)) + fr(y - v));
}

const numerator: [number, number] = [0, 0];
const denominator: [number, number] = [0, 0];

/** torch.log on a float32 value (SLEEF xlogf_u1, u10). */
export function torchLogF32(input: number): number {
  let d = fr(input);
  if (d === 0) return -Infinity;
  if (d < 0 || Number.isNaN(d)) return NaN;
  if (d === Infinity) return Infinity;
  const tiny = d < FLT_MIN;
  if (tiny) d = fr(d * 2 ** 64);
  let e = ((float32Bits(fr(d * FOUR_THIRDS)) >>> 23) & 0xff) - 0x7f;
  const m = float32FromBits(float32Bits(d) + -e * 2 ** 23);
  if (tiny) e -= 64;
  // s = ln2 · e as a float pair (dfmul_vf2_vf2_vf)
  const sHi = fr(LN2_HI * e);
  const sLo = fmaF32(LN2_LO, e, fmaF32(LN2_HI, e, -sHi));
  // x = (m − 1)/(m + 1) as a float pair (dfdiv_vf2_vf2_vf2, FMA form)
  twoSum(-1, m, numerator);
  twoSum(1, m, denominator);
  const t = fr(1 / denominator[0]);
  const xHi = fr(numerator[0] * t);
  const u = fmaF32(t, numerator[0], -xHi);
  let xLo = fmaF32(-denominator[1], t, fmaF32(-denominator[0], t, 1));
  xLo = fmaF32(xHi, xLo, fmaF32(numerator[1], t, u));
  const x2 = fr(xHi * xHi);
  let p = LOG_POLY[0];
  p = fmaF32(p, x2, LOG_POLY[1]);
  p = fmaF32(p, x2, LOG_POLY[2]);
  // s += 2x (dfadd_vf2_vf2_vf2), then s += x²·x·p (dfadd_vf2_vf2_vf)
  const aHi = fr(xHi * 2);
  const aLo = fr(xLo * 2);
  const rHi = fr(sHi + aHi);
  const rLo = fr(fr(fr(fr(sHi - rHi) + aHi) + sLo) + aLo);
  const w = fr(fr(x2 * xHi) * p);
  const r2Hi = fr(rHi + w);
  const r2Lo = fr(fr(fr(rHi - r2Hi) + w) + rLo);
  return fr(r2Hi + r2Lo);
}
