/**
 * Float32 arithmetic that rounds exactly like single-precision hardware. Every double
 * result of +, −, ×, ÷ and √ on float32 inputs rounds to the correctly rounded float32
 * value through `Math.fround` (double has more than 2·24+2 bits); a fused multiply-add
 * needs more care because a·b + c can land on a float32 tie after the double rounding.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The bit pattern of a float32 value. */
export function float32Bits(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** The float32 value with the given bit pattern. */
export function float32FromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0];
}

/**
 * `fma(a, b, c)` rounded once to float32, as `_mm256_fmadd_ps` computes it. `a·b` of two
 * float32 values is exact in double; `p + c` is rounded to double, and TwoSum gives the
 * rounding error, which only matters when the double sum sits exactly on a float32 tie.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = Math.fround(s);
  // s sits on a float32 tie exactly when r + 2(s − r) is the neighbouring float32; otherwise r is right.
  const d = s - r;
  if (d === 0) return r;
  const other = r + 2 * d;
  if (Math.fround(other) !== other) return r;
  // A tie in double: TwoSum's error term says on which side the exact a·b + c lies.
  const bb = s - p;
  const err = p - (s - bb) + (c - bb);
  if (err === 0) return r;
  return err > 0 ? Math.max(r, other) : Math.min(r, other);
}
