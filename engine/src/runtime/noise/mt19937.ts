/**
 * The 32-bit Mersenne Twister (Matsumoto & Nishimura 1998), seeded the way PyTorch's
 * `at::mt19937` seeds it (ATen/core/MT19937RNGEngine.h: `init_with_uint32`, the reference
 * `init_genrand`), so a seed gives the same word stream as `torch.manual_seed(seed)` on CPU.
 */

const STATE_SIZE = 624;
const SHIFT_SIZE = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class Mt19937 {
  private readonly state = new Uint32Array(STATE_SIZE);
  private index = STATE_SIZE;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** Re-seeds with the low 32 bits of `seed` (PyTorch truncates its 64-bit seed the same way). */
  seed(seed: number): void {
    const s = this.state;
    s[0] = lowUint32(seed);
    for (let j = 1; j < STATE_SIZE; j++) {
      const prev = s[j - 1] ^ (s[j - 1] >>> 30);
      // 1812433253 * prev + j in uint32 arithmetic; Math.imul keeps the low 32 bits exactly.
      s[j] = (Math.imul(1812433253, prev) + j) >>> 0;
    }
    this.index = STATE_SIZE;
  }

  /** The next 32-bit output word, tempered. */
  nextUint32(): number {
    if (this.index >= STATE_SIZE) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** The reference generation step, split in three loops so no index needs a modulo. */
  private twist(): void {
    const s = this.state;
    const mix = (upper: number, lower: number, far: number) => {
      const y = (upper & UPPER_MASK) | (lower & LOWER_MASK);
      return (far ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)) >>> 0;
    };
    let i = 0;
    for (; i < STATE_SIZE - SHIFT_SIZE; i++) s[i] = mix(s[i], s[i + 1], s[i + SHIFT_SIZE]);
    for (; i < STATE_SIZE - 1; i++) s[i] = mix(s[i], s[i + 1], s[i + SHIFT_SIZE - STATE_SIZE]);
    s[STATE_SIZE - 1] = mix(s[STATE_SIZE - 1], s[0], s[SHIFT_SIZE - 1]);
    this.index = 0;
  }
}

/** `seed mod 2^32` for any safe integer, negative ones included (two's complement, as a uint64 cast then truncation gives). */
function lowUint32(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const r = seed % 4294967296;
  return (r < 0 ? r + 4294967296 : r) >>> 0;
}
