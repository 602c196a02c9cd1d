/**
 * A CPU random generator whose `randn` reproduces PyTorch's float32 stream:
 * `torch.manual_seed(seed); torch.randn(shape)` and the calls after it on the same
 * generator (ATen `CPUGeneratorImpl`, `normal_kernel` in native/cpu/DistributionKernels.cpp,
 * `uniform_real_distribution` / `normal_distribution` in core/DistributionsHelper.h).
 *
 * Two paths, as in torch:
 * - 16 values or more: one float uniform per element (24 random bits of one mt19937 word),
 *   Box–Muller over blocks of 16 (cos for the first 8, sin for the next 8); when the count
 *   is not a multiple of 16 the last 16 are drawn again and recomputed.
 * - fewer than 16: one double normal per element (53 bits from two words per uniform,
 *   two uniforms per pair), the pair's sin value cached on the generator for the next draw.
 */

import { elementCount } from "../tensor.ts";
import { boxMuller16Avx2, boxMuller16Libm } from "./box-muller-avx2.ts";
import { Mt19937 } from "./mt19937.ts";

/**
 * Which of torch's float32 Box–Muller kernels to reproduce: `avx2` (x86-64 CPUs with AVX2,
 * the usual case) or `libm` (builds without AVX2, such as ARM). They differ in the last bit
 * of some values only.
 */
export type TorchNormalKernel = "avx2" | "libm";

export interface TorchGeneratorOptions {
  kernel?: TorchNormalKernel;
}

const TWO_POW_MINUS_24 = 2 ** -24;
const TWO_POW_MINUS_53 = 2 ** -53;
const TWO_POW_32 = 2 ** 32;

export class TorchGenerator {
  private readonly engine: Mt19937;
  private cachedNormal: number | null = null;
  private readonly boxMuller16: (data: Float32Array, offset: number) => void;

  /** @example `new TorchGenerator(42).randn([1, 4, 64, 64])` equals `torch.manual_seed(42); torch.randn(1, 4, 64, 64)`. */
  constructor(seed = 67280421310721, options: TorchGeneratorOptions = {}) {
    this.engine = new Mt19937(seed);
    this.boxMuller16 = options.kernel === "libm" ? boxMuller16Libm : boxMuller16Avx2;
  }

  /** Restarts the stream, as `torch.manual_seed(seed)` (also drops the cached normal). Returns this. */
  manualSeed(seed: number): this {
    this.engine.seed(seed);
    this.cachedNormal = null;
    return this;
  }

  /** Standard normal float32 values of the given shape, continuing this generator's stream. */
  randn(shape: readonly number[]): Float32Array {
    const size = elementCount(shape);
    const out = new Float32Array(size);
    this.fillNormal(out);
    return out;
  }

  /** Fills `out` as `randn` of `out.length` elements would (a contiguous tensor of that size). */
  fillNormal(out: Float32Array): void {
    const size = out.length;
    if (size >= 16) this.fillNormalBlocks(out);
    else for (let i = 0; i < size; i++) out[i] = this.nextDoubleNormal();
  }

  /** `at::uniform_real_distribution<float>(0, 1)`: the low 24 bits of one word times 2^-24. */
  private nextFloatUniform(): number {
    return (this.engine.nextUint32() & 0xffffff) * TWO_POW_MINUS_24;
  }

  /** `at::uniform_real_distribution<double>(0, 1)`: (hi·2^32 + lo) masked to 53 bits, times 2^-53. */
  private nextDoubleUniform(): number {
    const hi = this.engine.nextUint32();
    const lo = this.engine.nextUint32();
    return ((hi & 0x1fffff) * TWO_POW_32 + lo) * TWO_POW_MINUS_53;
  }

  /** `at::normal_distribution<double>` with mean 0 and std 1, using and refilling the generator's cache. */
  private nextDoubleNormal(): number {
    if (this.cachedNormal !== null) {
      const cached = this.cachedNormal;
      this.cachedNormal = null;
      return cached;
    }
    const u1 = this.nextDoubleUniform();
    const u2 = this.nextDoubleUniform();
    const radius = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }

  /** `normal_fill`: uniforms for every element, Box–Muller per 16, the ragged tail recomputed. */
  private fillNormalBlocks(out: Float32Array): void {
    const size = out.length;
    for (let i = 0; i < size; i++) out[i] = this.nextFloatUniform();
    for (let i = 0; i + 16 <= size; i += 16) this.boxMuller16(out, i);
    if (size % 16 !== 0) {
      const start = size - 16;
      for (let i = 0; i < 16; i++) out[start + i] = this.nextFloatUniform();
      this.boxMuller16(out, start);
    }
  }
}
