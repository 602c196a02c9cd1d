/**
 * Deterministic pseudo-random numbers for generated model weights.
 *
 * The stream is SplitMix32 (the 32-bit variant of Steele, Lea & Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014: add the golden-ratio increment, then
 * xor-shift-multiply finalise), and normal deviates come from the Box–Muller transform.
 * Both are plain integer arithmetic, so the same seed gives the same bytes on every
 * platform and Node version.
 */

/** FNV-1a 32-bit hash of a string, used to give every named weight its own seed. */
export function hashString32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A SplitMix32 stream of uniform and normal deviates. */
export class SeededRandom {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in (0, 1): never exactly 0, so `log` in Box–Muller stays finite. */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** Standard normal deviate (Box–Muller, both values of each pair used). */
  nextNormal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(this.nextUniform()));
    const angle = 2 * Math.PI * this.nextUniform();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** `count` normal deviates with the given standard deviation, rounded to float32. */
  normalArray(count: number, std: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.nextNormal() * std;
    return out;
  }
}
