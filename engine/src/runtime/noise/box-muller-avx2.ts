/**
 * PyTorch's vectorised Box–Muller block for float32 `randn` on x86 CPUs with AVX2
 * (ATen/native/cpu/DistributionKernels.cpp `normal_fill_16_AVX2`), reproduced bit for
 * bit in scalar float32 arithmetic. It evaluates log, sin and cos with the Cephes
 * polynomials of avx_mathfun.h (`log256_ps`, `sincos256_ps`), and PyTorch's AVX2 build
 * contracts their multiply-then-add pairs into fused multiply-adds; the contractions
 * below are the ones that reproduce torch's output exactly (checked against
 * `torch.randn` on 4096 values, see tools/torch_randn_vectors.py).
 */

import { fmaF32, float32Bits, float32FromBits } from "./float32-math.ts";

const fr = Math.fround;

// Cephes single-precision log coefficients (avx_mathfun.h `_ps256_cephes_log_*`).
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(fr);
const LOG_Q1 = fr(-2.1219444e-4);
const LOG_Q2 = fr(0.693359375);
const SQRT_HALF = fr(0.7071067811865476);
const MIN_NORM_POS_BITS = 0x00800000;
const HALF_BITS = float32Bits(0.5);

/** `log256_ps` on one lane; `x` in (0, 1] here, so the NaN and denormal masks never fire. */
export function logAvx2(input: number): number {
  const bits = Math.max(float32Bits(input), MIN_NORM_POS_BITS);
  let e = fr((bits >>> 23) - 0x7f + 1);
  let x = float32FromBits((bits & ~0x7f800000) | HALF_BITS);
  // if x < √½ { e -= 1; x = x + x − 1 } else { x = x − 1 }
  let tmp = 0;
  if (x < SQRT_HALF) {
    tmp = x;
    e = fr(e - 1);
  }
  x = fr(fr(x - 1) + tmp);
  const z = fr(x * x);
  let y = LOG_P[0];
  for (let i = 1; i < LOG_P.length; i++) y = fmaF32(y, x, LOG_P[i]);
  // y·x·z + e·q1 contracts into one fma with the product e·q1 rounded first.
  y = fmaF32(fr(y * x), z, fr(e * LOG_Q1));
  // z·0.5 and e·q2 are exact, so contracting them or not gives the same bits.
  y = fr(y - z * 0.5);
  x = fr(x + y);
  return fr(x + e * LOG_Q2);
}

const FOUR_OVER_PI = fr(1.27323954473516);
const DP1 = fr(-0.78515625);
const DP2 = fr(-2.4187564849853515625e-4);
const DP3 = fr(-3.774894977445941e-8);
const COS_P0 = fr(2.443315711809948e-5);
const COS_P1 = fr(-1.388731625493765e-3);
const COS_P2 = fr(4.166664568298827e-2);
const SIN_P0 = fr(-1.9515295891e-4);
const SIN_P1 = fr(8.3321608736e-3);
const SIN_P2 = fr(-1.6666654611e-1);

/** `sincos256_ps` on one lane for θ ≥ 0; writes [sin, cos] into `out`. */
export function sinCosAvx2(theta: number, out: Float64Array): void {
  let x = Math.abs(theta);
  const signSin = theta < 0;
  // Octant j rounded up to even, as `cvttps` truncation then (j + 1) & ~1.
  let j = Math.trunc(fr(x * FOUR_OVER_PI));
  j = (j + 1) & ~1;
  const y = j;
  x = fmaF32(y, DP1, x);
  x = fmaF32(y, DP2, x);
  x = fmaF32(y, DP3, x);
  const sinNegative = signSin !== ((j & 4) !== 0);
  const cosNegative = (~(j - 2) & 4) !== 0;
  const z = fr(x * x);
  let c = fmaF32(COS_P0, z, COS_P1);
  c = fmaF32(c, z, COS_P2);
  c = fr(c * z);
  c = fmaF32(c, z, -fr(z * 0.5));
  c = fr(c + 1);
  let s = fmaF32(SIN_P0, z, SIN_P1);
  s = fmaF32(s, z, SIN_P2);
  s = fr(s * z);
  s = fmaF32(s, x, x);
  const useSinPoly = (j & 2) === 0;
  const sinValue = useSinPoly ? s : c;
  const cosValue = useSinPoly ? c : s;
  out[0] = sinNegative ? -sinValue : sinValue;
  out[1] = cosNegative ? -cosValue : cosValue;
}

const TWO_PI = fr(2 * Math.PI);
const sinCos = new Float64Array(2);

/**
 * Turns 16 uniforms in `data[offset..offset+16)` into 16 standard normals in place: the
 * first 8 from cos, the next 8 from sin (`normal_fill_16_AVX2`, mean 0, std 1).
 */
export function boxMuller16Avx2(data: Float32Array, offset: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = fr(1 - data[offset + j]);
    const u2 = data[offset + j + 8];
    const radius = fr(Math.sqrt(fr(-2 * logAvx2(u1))));
    sinCosAvx2(fr(TWO_PI * u2), sinCos);
    data[offset + j] = radius * sinCos[1];
    data[offset + j + 8] = radius * sinCos[0];
  }
}

/**
 * The same block as PyTorch's portable `normal_fill_16` computes it with the C library's
 * float `log`/`cos`/`sin` (non-AVX2 builds, e.g. ARM): here in double, then rounded, which
 * agrees with a correctly rounded libm.
 */
export function boxMuller16Libm(data: Float32Array, offset: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = fr(1 - data[offset + j]);
    const u2 = data[offset + j + 8];
    const radius = fr(Math.sqrt(fr(-2 * fr(Math.log(u1)))));
    const theta = fr(2 * Math.PI * u2);
    data[offset + j] = radius * fr(Math.cos(theta));
    data[offset + j + 8] = radius * fr(Math.sin(theta));
  }
}
