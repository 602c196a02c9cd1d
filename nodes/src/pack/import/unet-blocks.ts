import {
  attention,
  conv2d,
  featureMapToTokens,
  geglu,
  groupNorm,
  layerNorm,
  linear,
  silu,
  tokensToFeatureMap,
  type GraphBuilder,
  type Value,
} from "@infix/engine/runtime";
import type { AttentionHooks } from "../tiny/unet-blocks.ts";
import type { UnetConfig } from "./unet-config.ts";

/**
 * The down and mid halves of diffusers' `UNet2DConditionModel` built from its config, with
 * diffusers' parameter names, shared by the UNet and the ControlNet (diffusers 0.24:
 * unet_2d_blocks.py, resnet.py, transformer_2d.py, attention.py).
 */

export interface ImportUnetContext {
  readonly g: GraphBuilder;
  readonly config: UnetConfig;
  /** Time embedding [B, 4·block_out_channels[0]]. */
  readonly timeEmbedding: Value;
  /** encoder_hidden_states [B, 77, cross_attention_dim]. */
  readonly textStates: Value;
  readonly hooks: AttentionHooks;
}

/**
 * The frequencies of diffusers' `get_timestep_embedding` computed in float32 step by step as torch
 * does (−ln 10000 · i, / (half − shift), exp), so t·freq matches even at t ≈ 1000.
 */
export function timestepFrequencies(half: number, freqShift: number): Float32Array {
  const logPeriod = Math.fround(-Math.log(10000));
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) out[i] = Math.exp(Math.fround(Math.fround(logPeriod * i) / (half - freqShift)));
  return out;
}

/** Timesteps (sinusoid over block_out_channels[0]) then TimestepEmbedding (linear_1 → SiLU → linear_2). t: [B]. */
export function importedTimeEmbedding(g: GraphBuilder, config: UnetConfig, timestep: Value): Value {
  const base = config.blockOutChannels[0];
  const dim = base * 4;
  const half = Math.floor(base / 2);
  if (base % 2 !== 0) throw new Error(`block_out_channels[0] = ${base} must be even for the sinusoidal embedding`);
  const args = g.op("Mul", [
    g.op("Unsqueeze", [timestep, g.constantInt64([1])]),
    g.constantFloat(timestepFrequencies(half, config.freqShift), [1, half], "timestep_freqs"),
  ]);
  const sin = g.op("Sin", [args]);
  const cos = g.op("Cos", [args]);
  const sinusoid = g.op("Concat", config.flipSinToCos ? [cos, sin] : [sin, cos], { axis: 1 });
  return g.scope("time_embedding", () =>
    linear(g, silu(g, linear(g, sinusoid, base, dim, "linear_1")), dim, dim, "linear_2"),
  );
}

/** `ResnetBlock2D` (time_embedding_norm "default", output_scale_factor 1). */
export function importedResnet(
  ctx: ImportUnetContext,
  x: Value,
  inChannels: number,
  outChannels: number,
  name: string,
): Value {
  const { g, config } = ctx;
  return g.scope(name, () => {
    let h = silu(g, groupNorm(g, x, inChannels, config.normGroups, "norm1", config.normEps));
    h = conv2d(g, h, inChannels, outChannels, 3, "conv1");
    const timeProjection = linear(
      g,
      silu(g, ctx.timeEmbedding),
      config.blockOutChannels[0] * 4,
      outChannels,
      "time_emb_proj",
    );
    h = g.op("Add", [h, g.op("Unsqueeze", [timeProjection, g.constantInt64([2, 3])])]);
    h = silu(g, groupNorm(g, h, outChannels, config.normGroups, "norm2", config.normEps));
    h = conv2d(g, h, outChannels, outChannels, 3, "conv2");
    const skip = inChannels === outChannels ? x : conv2d(g, x, inChannels, outChannels, 1, "conv_shortcut");
    return g.op("Add", [skip, h]);
  });
}

/**
 * `Transformer2DModel` (conv proj_in/proj_out): GroupNorm eps 1e-6, then per
 * `BasicTransformerBlock` LN(1e-5) → self-attention, LN → cross-attention, LN → GEGLU, each residual.
 */
export function importedTransformer(
  ctx: ImportUnetContext,
  x: Value,
  channels: number,
  level: number,
  heads: number,
  name: string,
): Value {
  const { g, config } = ctx;
  return g.scope(name, () => {
    const normed = groupNorm(g, x, channels, config.normGroups, "norm", 1e-6);
    let tokens = featureMapToTokens(g, conv2d(g, normed, channels, channels, 1, "proj_in"));
    const names = { q: "to_q", k: "to_k", v: "to_v", out: "to_out.0" };
    for (let block = 0; block < config.transformerLayers; block++) {
      g.scope(`transformer_blocks.${block}`, () => {
        const selfAttention = attention(g, "attn1", {
          query: layerNorm(g, tokens, channels, "norm1", 1e-5),
          queryDim: channels,
          heads,
          projectionNames: names,
          transformProbabilities: ctx.hooks.self,
        });
        tokens = g.op("Add", [selfAttention.output, tokens]);
        const crossAttention = attention(g, "attn2", {
          query: layerNorm(g, tokens, channels, "norm2", 1e-5),
          queryDim: channels,
          keyValue: ctx.textStates,
          keyValueDim: config.crossAttentionDim,
          heads,
          projectionNames: names,
          transformProbabilities: ctx.hooks.cross,
        });
        ctx.hooks.onCross?.(level, crossAttention.probabilities);
        tokens = g.op("Add", [crossAttention.output, tokens]);
        const hidden = geglu(g, layerNorm(g, tokens, channels, "norm3", 1e-5), channels, channels * 4, "ff.net.0.proj");
        tokens = g.op("Add", [linear(g, hidden, channels * 4, channels, "ff.net.2"), tokens]);
      });
    }
    const projected = conv2d(g, tokensToFeatureMap(g, tokens, x), channels, channels, 1, "proj_out");
    return g.op("Add", [projected, x]);
  });
}

export interface ImportedSkip {
  readonly value: Value;
  readonly channels: number;
}

/** conv_in (+ `addToConvIn`, the ControlNet's condition), the down blocks, and the mid block. */
export function importedDownAndMid(
  ctx: ImportUnetContext,
  sample: Value,
  addToConvIn?: Value,
): { skips: ImportedSkip[]; mid: Value; midChannels: number } {
  const { g, config } = ctx;
  const channels = config.blockOutChannels;
  const last = channels.length - 1;
  let h = conv2d(g, sample, config.inChannels, channels[0], 3, "conv_in");
  if (addToConvIn) h = g.op("Add", [h, addToConvIn]);
  const skips: ImportedSkip[] = [{ value: h, channels: channels[0] }];
  let current = channels[0];
  for (let level = 0; level <= last; level++) {
    g.scope(`down_blocks.${level}`, () => {
      for (let layer = 0; layer < config.layersPerBlock; layer++) {
        h = importedResnet(ctx, h, current, channels[level], `resnets.${layer}`);
        current = channels[level];
        if (config.crossAttentionBlocks[level]) {
          h = importedTransformer(ctx, h, current, level, config.heads[level], `attentions.${layer}`);
        }
        skips.push({ value: h, channels: current });
      }
      if (level < last) {
        h = conv2d(g, h, current, current, 3, "downsamplers.0.conv", { stride: 2, padding: 1 });
        skips.push({ value: h, channels: current });
      }
    });
  }
  const mid = g.scope("mid_block", () => {
    let m = importedResnet(ctx, h, current, current, "resnets.0");
    m = importedTransformer(ctx, m, current, last, config.heads[last], "attentions.0");
    return importedResnet(ctx, m, current, current, "resnets.1");
  });
  return { skips, mid, midChannels: current };
}
