/**
 * prompt-to-prompt's LocalBlend as LAVIS BLIP-Diffusion runs it (../shared/EDITING.md §6, §11):
 * the 1/4-resolution cross-attention maps of the two conditional rows are summed over the
 * calls so far, weighted by each row's word indicator and summed over words, max-pooled 3×3,
 * resized (nearest) to the latent, normalised by each row's maximum and thresholded; the
 * union of the rows' masks decides where the edited row keeps its own latents. Outside, it
 * takes the source row's: x₁ ← x₀ + mask·(x₁ − x₀).
 */

const fr = Math.fround;

export interface LocalBlendSpec {
  /** [2][keys] word indicator per conditional row (source, target); a row without words gives no mask. */
  readonly words: readonly [Float32Array, Float32Array];
  readonly threshold: number;
}

/** Sizes of the maps (⌈h/4⌉×⌈w/4⌉ per row) and the latent (h×w). */
export interface BlendGeometry {
  readonly keys: number;
  readonly lowHeight: number;
  readonly lowWidth: number;
  readonly height: number;
  readonly width: number;
}

/** The maps of one run, for the Attention Maps node: accumulated over calls, rows source/target. */
export interface BlendMaps {
  /** [2, lowHeight·lowWidth, keys] the running sum of the conditional rows' maps */
  readonly accumulated: Float32Array;
  /** [2, lowHeight·lowWidth] word-weighted maps before pooling */
  readonly wordMaps: Float32Array;
  /** [h·w] the mask of the last step (1 = edited row keeps its latents) */
  readonly mask: Uint8Array;
}

/** Σ_k maps[r,p,k]·words[r][k] for both rows, in key order (LAVIS `(maps * alpha_layers).sum(-1)`). */
export function wordWeightedMaps(
  accumulated: Float32Array,
  spec: LocalBlendSpec,
  geometry: BlendGeometry,
): Float32Array {
  const plane = geometry.lowHeight * geometry.lowWidth;
  const out = new Float32Array(2 * plane);
  for (let r = 0; r < 2; r++) {
    const words = spec.words[r];
    for (let p = 0; p < plane; p++) {
      const base = (r * plane + p) * geometry.keys;
      let sum = 0;
      for (let k = 0; k < geometry.keys; k++) if (words[k] !== 0) sum = fr(sum + fr(accumulated[base + k] * words[k]));
      out[r * plane + p] = sum;
    }
  }
  return out;
}

/** torch `max_pool2d(kernel 3, stride 1, padding 1)` on each row's low-resolution map. */
export function maxPool3(maps: Float32Array, rows: number, height: number, width: number): Float32Array {
  const out = new Float32Array(maps.length);
  for (let r = 0; r < rows; r++) {
    const base = r * height * width;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let best = -Infinity;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= height) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= width) continue;
            const v = maps[base + yy * width + xx];
            if (v > best || Number.isNaN(v)) best = v;
          }
        }
        out[base + y * width + x] = best;
      }
    }
  }
  return out;
}

/**
 * Nearest resize to the latent size (torch `interpolate(mode="nearest")`: source index
 * floor(dst·in/out)), then division by each row's maximum (0/0 gives NaN, as in LAVIS).
 */
export function normalisedMasks(pooled: Float32Array, geometry: BlendGeometry): Float32Array {
  const { lowHeight, lowWidth, height, width } = geometry;
  const plane = height * width;
  const out = new Float32Array(2 * plane);
  const scaleY = lowHeight / height;
  const scaleX = lowWidth / width;
  for (let r = 0; r < 2; r++) {
    let max = -Infinity;
    for (let y = 0; y < height; y++) {
      const sy = Math.min(Math.floor(y * scaleY), lowHeight - 1);
      for (let x = 0; x < width; x++) {
        const sx = Math.min(Math.floor(x * scaleX), lowWidth - 1);
        const v = pooled[r * lowHeight * lowWidth + sy * lowWidth + sx];
        out[r * plane + y * width + x] = v;
        if (v > max) max = v;
      }
    }
    for (let i = 0; i < plane; i++) out[r * plane + i] = fr(out[r * plane + i] / max);
  }
  return out;
}

/** `mask > threshold` (compared in float32; NaN is false), union over the two rows. */
export function thresholdUnion(normalised: Float32Array, threshold: number, plane: number): Uint8Array {
  const t = fr(threshold);
  const mask = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) mask[i] = normalised[i] > t || normalised[plane + i] > t ? 1 : 0;
  return mask;
}

/** x₁ ← x₀ + mask·(x₁ − x₀) on the edited row (row 1 of [2,C,h,w]); row 0 is left alone. */
export function blendLatents(latents: Float32Array, mask: Uint8Array, channels: number): void {
  const plane = mask.length;
  const perRow = channels * plane;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane; i++) {
      const source = latents[c * plane + i];
      const edited = latents[perRow + c * plane + i];
      latents[perRow + c * plane + i] = fr(source + fr(mask[i] * fr(edited - source)));
    }
  }
}

/**
 * One run's local blend: `observe` adds a call's maps to the running sum; `apply` computes
 * the mask and blends. A fresh one per Sampler run, so no sum carries over between runs.
 */
export class LocalBlendState {
  private readonly accumulated: Float32Array;
  private calls = 0;
  lastWordMaps: Float32Array;
  lastMask: Uint8Array;

  constructor(
    private readonly spec: LocalBlendSpec | null,
    readonly geometry: BlendGeometry,
  ) {
    const plane = geometry.lowHeight * geometry.lowWidth;
    this.accumulated = new Float32Array(2 * plane * geometry.keys);
    this.lastWordMaps = new Float32Array(2 * plane);
    this.lastMask = new Uint8Array(geometry.height * geometry.width).fill(1);
  }

  /** Adds the two conditional rows' maps ([2, P, keys], source then target) of one call. */
  accumulate(conditionalRows: Float32Array): void {
    if (conditionalRows.length !== this.accumulated.length)
      throw new Error(`local blend: maps have ${conditionalRows.length} values, expected ${this.accumulated.length}`);
    // LAVIS's first call's tensors become the accumulators; adding to zeros is the same in float32.
    for (let i = 0; i < conditionalRows.length; i++) this.accumulated[i] = fr(this.accumulated[i] + conditionalRows[i]);
    this.calls++;
  }

  /** The mask from the maps so far and, when a blend is set, the blend applied to `latents` [2,C,h,w] in place. */
  apply(latents: Float32Array, channels: number): void {
    if (!this.spec) return;
    const { lowHeight, lowWidth, height, width } = this.geometry;
    this.lastWordMaps = wordWeightedMaps(this.accumulated, this.spec, this.geometry);
    const pooled = maxPool3(this.lastWordMaps, 2, lowHeight, lowWidth);
    const normalised = normalisedMasks(pooled, this.geometry);
    this.lastMask = thresholdUnion(normalised, this.spec.threshold, height * width);
    blendLatents(latents, this.lastMask, channels);
  }

  maps(): BlendMaps {
    return { accumulated: this.accumulated.slice(), wordMaps: this.lastWordMaps.slice(), mask: this.lastMask.slice() };
  }

  get callCount(): number {
    return this.calls;
  }
}
