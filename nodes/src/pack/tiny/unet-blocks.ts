import {
  attention,
  conv2d,
  featureMapToTokens,
  geglu,
  groupNorm,
  layerNorm,
  linear,
  silu,
  timestepEmbedding,
  tokensToFeatureMap,
  type GraphBuilder,
  type Value,
} from "@infix/engine/runtime";
import type { TinyPackConfig } from "./config.ts";

/**
 * The building blocks of diffusers' `UNet2DConditionModel` (Stable Diffusion 1.5 layout),
 * shared by the UNet and the ControlNet, whose encoder half is the same network.
 */

/** Hooks a caller uses to rewrite attention probabilities and to collect cross-attention maps. */
export interface AttentionHooks {
  /** Rewrites self-attention probabilities [B, heads, N, N]. */
  readonly self?: (probabilities: Value) => Value;
  /** Rewrites cross-attention probabilities [B, heads, N, 77]. */
  readonly cross?: (probabilities: Value) => Value;
  /** Receives the (rewritten) cross-attention probabilities of a layer at `level` (0 = latent size, 2 = 1/4). */
  readonly onCross?: (level: number, probabilities: Value) => void;
}

export interface UnetContext {
  readonly g: GraphBuilder;
  readonly config: TinyPackConfig;
  /** Time embedding [B, timeEmbedDim]. */
  readonly timeEmbedding: Value;
  /** encoder_hidden_states [B, 77, D]. */
  readonly textStates: Value;
  readonly hooks: AttentionHooks;
}

/** Width of the time embedding: 4 × the first block's channels, as SD. */
export function timeEmbedDim(config: TinyPackConfig): number {
  return config.unet.channels[0] * 4;
}

/** Sinusoidal projection (flip_sin_to_cos, freq_shift 0) then linear → SiLU → linear (diffusers `TimestepEmbedding`). t: [B]. */
export function buildTimeEmbedding(g: GraphBuilder, config: TinyPackConfig, timestep: Value): Value {
  const base = config.unet.channels[0];
  const dim = timeEmbedDim(config);
  return g.scope("time_embedding", () => {
    const sinusoid = timestepEmbedding(g, timestep, base, { flipSinToCos: true, freqShift: 0 });
    return linear(g, silu(g, linear(g, sinusoid, base, dim, "linear_1")), dim, dim, "linear_2");
  });
}

/** diffusers `ResnetBlock2D`: norm → SiLU → conv, + time projection, norm → SiLU → conv, + (1×1) skip. x: [B, in, h, w] → [B, out, h, w]. */
export function resnetBlock(ctx: UnetContext, x: Value, inChannels: number, outChannels: number, name: string): Value {
  const { g, config } = ctx;
  return g.scope(name, () => {
    let h = conv2d(
      g,
      silu(g, groupNorm(g, x, inChannels, config.unet.groups, "norm1")),
      inChannels,
      outChannels,
      3,
      "conv1",
    );
    const timeProjection = linear(g, silu(g, ctx.timeEmbedding), timeEmbedDim(config), outChannels, "time_emb_proj");
    h = g.op("Add", [h, g.op("Unsqueeze", [timeProjection, g.constantInt64([2, 3])])]);
    h = silu(g, groupNorm(g, h, outChannels, config.unet.groups, "norm2"));
    // A small last conv keeps the residual branch gentle through the random network.
    h = conv2d(g, h, outChannels, outChannels, 3, "conv2", { std: 0.3 / Math.sqrt(outChannels * 9) });
    const skip = inChannels === outChannels ? x : conv2d(g, x, inChannels, outChannels, 1, "conv_shortcut");
    return g.op("Add", [skip, h]);
  });
}

/**
 * diffusers `Transformer2DModel` with one `BasicTransformerBlock`: group norm, 1×1 proj_in,
 * [LN → self-attention, LN → cross-attention to the text, LN → GEGLU feed-forward], each
 * residual, 1×1 proj_out, plus the block's input. x: [B, C, h, w].
 */
export function transformer2d(ctx: UnetContext, x: Value, channels: number, level: number, name: string): Value {
  const { g, config } = ctx;
  const heads = config.unet.heads;
  const outStd = 0.3 / Math.sqrt(channels);
  return g.scope(name, () => {
    const normed = groupNorm(g, x, channels, config.unet.groups, "norm", 1e-6);
    let tokens = featureMapToTokens(g, conv2d(g, normed, channels, channels, 1, "proj_in"));
    g.scope("transformer_blocks.0", () => {
      const selfAttention = attention(g, "attn1", {
        query: layerNorm(g, tokens, channels, "norm1"),
        queryDim: channels,
        heads,
        outStd,
        transformProbabilities: ctx.hooks.self,
      });
      tokens = g.op("Add", [tokens, selfAttention.output]);
      const crossAttention = attention(g, "attn2", {
        query: layerNorm(g, tokens, channels, "norm2"),
        queryDim: channels,
        keyValue: ctx.textStates,
        keyValueDim: config.textHiddenSize,
        heads,
        outStd,
        transformProbabilities: ctx.hooks.cross,
      });
      ctx.hooks.onCross?.(level, crossAttention.probabilities);
      tokens = g.op("Add", [tokens, crossAttention.output]);
      const hidden = geglu(g, layerNorm(g, tokens, channels, "norm3"), channels, channels * 4, "ff.net.0.proj");
      tokens = g.op("Add", [tokens, linear(g, hidden, channels * 4, channels, "ff.net.2", { std: outStd })]);
    });
    const projected = conv2d(g, tokensToFeatureMap(g, tokens, x), channels, channels, 1, "proj_out", {
      std: 0.3 / Math.sqrt(channels),
    });
    return g.op("Add", [projected, x]);
  });
}

/** A skip connection kept for the up path (and offered to a ControlNet). */
export interface SkipTensor {
  readonly value: Value;
  readonly channels: number;
  /** Downscale from the latent size: 1, 2, 4 or 8. */
  readonly downscale: number;
}

export interface EncoderResult {
  /** conv_in output, then each down-block layer output and each downsample output, in order. */
  readonly skips: SkipTensor[];
  /** Mid-block output [B, C_last, h/8, w/8]. */
  readonly mid: Value;
  readonly midChannels: number;
}

/** Levels 0-2 carry cross-attention transformers; the 1/8 level's down and up blocks do not (SD's last DownBlock2D). */
export const ATTENTION_LEVELS = 3;

/**
 * conv_in, the four down blocks (stride-2 conv downsampling, padding 1, so odd sizes give
 * ⌈h/2⌉) and the mid block (ResNet, Transformer, ResNet). `addToConvIn` lets the ControlNet
 * add its conditioning embedding after conv_in.
 */
export function buildDownAndMid(ctx: UnetContext, sample: Value, addToConvIn?: Value): EncoderResult {
  const { g, config } = ctx;
  const channels = config.unet.channels;
  let h = conv2d(g, sample, 4, channels[0], 3, "conv_in");
  if (addToConvIn) h = g.op("Add", [h, addToConvIn]);
  const skips: SkipTensor[] = [{ value: h, channels: channels[0], downscale: 1 }];
  let current = channels[0];
  for (let level = 0; level < 4; level++) {
    const downscale = 2 ** level;
    g.scope(`down_blocks.${level}`, () => {
      for (let layer = 0; layer < config.unet.layersPerBlock; layer++) {
        h = resnetBlock(ctx, h, current, channels[level], `resnets.${layer}`);
        current = channels[level];
        if (level < ATTENTION_LEVELS) h = transformer2d(ctx, h, current, level, `attentions.${layer}`);
        skips.push({ value: h, channels: current, downscale });
      }
      if (level < 3) {
        h = conv2d(g, h, current, current, 3, "downsamplers.0.conv", { stride: 2, padding: 1 });
        skips.push({ value: h, channels: current, downscale: downscale * 2 });
      }
    });
  }
  const mid = g.scope("mid_block", () => {
    let m = resnetBlock(ctx, h, current, current, "resnets.0");
    m = transformer2d(ctx, m, current, 3, "attentions.0");
    return resnetBlock(ctx, m, current, current, "resnets.1");
  });
  return { skips, mid, midChannels: current };
}

/** The residual shapes a UNet built by `buildDownAndMid` exposes to ControlNets, mid last. */
export function residualShapes(config: TinyPackConfig): { channels: number; downscale: number; mid?: boolean }[] {
  const channels = config.unet.channels;
  const shapes: { channels: number; downscale: number; mid?: boolean }[] = [{ channels: channels[0], downscale: 1 }];
  for (let level = 0; level < 4; level++) {
    for (let layer = 0; layer < config.unet.layersPerBlock; layer++)
      shapes.push({ channels: channels[level], downscale: 2 ** level });
    if (level < 3) shapes.push({ channels: channels[level], downscale: 2 ** (level + 1) });
  }
  shapes.push({ channels: channels[3], downscale: 8, mid: true });
  return shapes;
}

/** Symbolic dim name for a latent axis at a downscale: `h`, `h/2`, …, rounded up. */
export function scaledDim(axis: "h" | "w", downscale: number): string {
  return downscale === 1 ? axis : `ceil(${axis}/${downscale})`;
}
