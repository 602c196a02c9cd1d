/**
 * IEEE 754 binary16 ↔ binary32 conversion for float16 graphs: feeds are converted to half
 * precision before a run and outputs back to single precision after it, so the rest of the
 * engine only ever sees float32.
 */

// One shared scratch word to read a float32's bits without allocating per value.
const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/**
 * Rounds one float32 to the nearest float16 bit pattern, ties to even (IEEE 754 §4.3.1),
 * overflowing to ±Infinity, keeping NaN a (quiet) NaN and producing subnormals below 2^-14.
 */
export function float32ToFloat16Bits(value: number): number {
  scratchFloat[0] = value;
  const bits = scratchBits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;

  if (exponent === 0xff) {
    // Infinity keeps a zero mantissa; any NaN becomes the canonical quiet NaN.
    return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  }
  // Unbiased exponent; float16's bias is 15, float32's 127.
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the full significand (with its implicit 1) right.
    if (halfExponent < -10) return sign; // below half the smallest subnormal: rounds to zero
    const significand = mantissa | 0x800000;
    const shift = 14 - halfExponent; // 24-bit significand down to a 10-bit field
    const truncated = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const roundUp = remainder > halfway || (remainder === halfway && (truncated & 1) === 1);
    return sign | (truncated + (roundUp ? 1 : 0));
  }
  // Normal: drop 13 mantissa bits with round-to-nearest-even; a carry may bump the exponent
  // (even into Infinity), which the plain addition handles.
  const truncated = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  const roundUp = remainder > 0x1000 || (remainder === 0x1000 && (truncated & 1) === 1);
  return sign | (truncated + (roundUp ? 1 : 0));
}

/** The float32 value of one float16 bit pattern (exact: every half is a single). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Converts a whole float32 array to float16 bit patterns (a new Uint16Array). */
export function float32ArrayToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

// All 65536 halves decoded once (256 KiB): output conversion becomes a table lookup.
let decodeTable: Float32Array | undefined;

/** Converts float16 bit patterns to a new Float32Array. */
export function float16ArrayToFloat32(bits: Uint16Array): Float32Array {
  if (!decodeTable) {
    decodeTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) decodeTable[i] = float16BitsToFloat32(i);
  }
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = decodeTable[bits[i]];
  return out;
}
