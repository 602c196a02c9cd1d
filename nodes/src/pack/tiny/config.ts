/**
 * Architecture sizes of the generated packs. "tiny" is for tests (graphs build and run in
 * milliseconds); "small" is wider and deeper, for benchmarks. Both keep the real model's
 * contract constants: 16 query tokens, 77 text positions, ctx_begin_pos 2, VAE factor 8.
 */

export type TinyPackSize = "tiny" | "small";

export interface TinyPackConfig {
  readonly size: TinyPackSize;
  readonly seed: number;
  readonly numQueryTokens: number;
  readonly ctxBeginPos: number;
  readonly textMaxLength: number;
  /** D: CLIP text width, Q-Former width and the subject embedding's width. */
  readonly textHiddenSize: number;
  readonly vision: {
    readonly imageSize: number;
    readonly patchSize: number;
    readonly width: number;
    readonly layers: number;
    readonly heads: number;
  };
  readonly qformer: {
    readonly layers: number;
    readonly heads: number;
    readonly intermediate: number;
    readonly maxTextPositions: number;
  };
  readonly textEncoder: { readonly layers: number; readonly heads: number; readonly intermediate: number };
  readonly unet: {
    /** block_out_channels of the four levels (latent 1, 1/2, 1/4, 1/8). */
    readonly channels: readonly [number, number, number, number];
    readonly layersPerBlock: number;
    readonly heads: number;
    readonly groups: number;
    readonly selfAttnMaxTokens: number;
    readonly defaultSize: number;
  };
  readonly vae: {
    readonly channels: readonly [number, number, number, number];
    readonly layersPerBlock: number;
    readonly groups: number;
  };
  /** ControlNet conditioning-embedding widths (diffusers' (16, 32, 96, 256) at full size). */
  readonly controlnetConditioningChannels: readonly [number, number, number, number];
}

const SHARED = { numQueryTokens: 16, ctxBeginPos: 2, textMaxLength: 77 } as const;

export const TINY_CONFIG: TinyPackConfig = {
  ...SHARED,
  size: "tiny",
  seed: 0x1f1e,
  textHiddenSize: 32,
  vision: { imageSize: 32, patchSize: 8, width: 32, layers: 2, heads: 2 },
  qformer: { layers: 2, heads: 2, intermediate: 64, maxTextPositions: 64 },
  textEncoder: { layers: 2, heads: 2, intermediate: 64 },
  // At 64 px the latent is 8×8: self-attention is controlled at the 1/2, 1/4 and 1/8 levels
  // (16, 4 and 1 tokens), not at full latent resolution (64 tokens).
  unet: { channels: [32, 32, 64, 64], layersPerBlock: 1, heads: 2, groups: 8, selfAttnMaxTokens: 16, defaultSize: 64 },
  vae: { channels: [16, 16, 32, 32], layersPerBlock: 1, groups: 8 },
  controlnetConditioningChannels: [8, 8, 16, 16],
};

export const SMALL_CONFIG: TinyPackConfig = {
  ...SHARED,
  size: "small",
  seed: 0x5a11,
  textHiddenSize: 128,
  vision: { imageSize: 64, patchSize: 8, width: 128, layers: 2, heads: 4 },
  qformer: { layers: 2, heads: 4, intermediate: 512, maxTextPositions: 64 },
  textEncoder: { layers: 4, heads: 4, intermediate: 512 },
  // At 256 px the latent is 32×32: as the released pack at 512 px, self-attention is
  // controlled at the 1/4 and 1/8 levels (64 and 16 tokens).
  unet: {
    channels: [64, 128, 128, 128],
    layersPerBlock: 2,
    heads: 4,
    groups: 16,
    selfAttnMaxTokens: 64,
    defaultSize: 256,
  },
  vae: { channels: [32, 64, 64, 64], layersPerBlock: 1, groups: 16 },
  controlnetConditioningChannels: [16, 32, 32, 64],
};

/** The generated pack's architecture settings for a size. */
export function configFor(size: TinyPackSize): TinyPackConfig {
  return size === "small" ? SMALL_CONFIG : TINY_CONFIG;
}
