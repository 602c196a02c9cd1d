import {
  attention,
  conv2d,
  featureMapToTokens,
  GraphBuilder,
  groupNorm,
  silu,
  tokensToFeatureMap,
  upsampleNearest2x,
  type Value,
} from "@infix/engine/runtime";
import type { TinyPackConfig } from "./config.ts";

/**
 * vae_decoder.onnx and vae_encoder.onnx: diffusers `AutoencoderKL` (Encoder / Decoder of
 * diffusers/models/autoencoders/vae.py) at toy size, four levels, latent factor 8.
 */

const LATENT_CHANNELS = 4;
const VAE_EPS = 1e-6;

interface VaeContext {
  readonly g: GraphBuilder;
  readonly groups: number;
}

/** `ResnetBlock2D` without a time embedding. */
function vaeResnet(ctx: VaeContext, x: Value, inChannels: number, outChannels: number, name: string): Value {
  const { g, groups } = ctx;
  return g.scope(name, () => {
    let h = conv2d(
      g,
      silu(g, groupNorm(g, x, inChannels, groups, "norm1", VAE_EPS)),
      inChannels,
      outChannels,
      3,
      "conv1",
    );
    h = conv2d(
      g,
      silu(g, groupNorm(g, h, outChannels, groups, "norm2", VAE_EPS)),
      outChannels,
      outChannels,
      3,
      "conv2",
      { std: 0.3 / Math.sqrt(outChannels * 9) },
    );
    const skip = inChannels === outChannels ? x : conv2d(g, x, inChannels, outChannels, 1, "conv_shortcut");
    return g.op("Add", [skip, h]);
  });
}

/** Mid block: ResNet, single-head spatial self-attention (group norm, residual), ResNet. */
function vaeMid(ctx: VaeContext, x: Value, channels: number): Value {
  const { g, groups } = ctx;
  return g.scope("mid_block", () => {
    const h = vaeResnet(ctx, x, channels, channels, "resnets.0");
    const tokens = featureMapToTokens(g, groupNorm(g, h, channels, groups, "attentions.0.group_norm", VAE_EPS));
    const attended = attention(g, "attentions.0", {
      query: tokens,
      queryDim: channels,
      heads: 1,
      qkvBias: true,
      outStd: 0.3 / Math.sqrt(channels),
    });
    const withAttention = g.op("Add", [h, tokensToFeatureMap(g, attended.output, h)]);
    return vaeResnet(ctx, withAttention, channels, channels, "resnets.1");
  });
}

/** latent_sample [B,4,h,w] → sample [B,3,8h,8w]. */
export function buildVaeDecoderGraph(config: TinyPackConfig): GraphBuilder {
  const g = new GraphBuilder("vae_decoder", config.seed ^ 0xdec);
  const ctx: VaeContext = { g, groups: config.vae.groups };
  const reversed = [...config.vae.channels].reverse();
  const latent = g.input("latent_sample", "float32", ["B", LATENT_CHANNELS, "h", "w"]);
  let h = conv2d(g, latent, LATENT_CHANNELS, LATENT_CHANNELS, 1, "post_quant_conv");
  h = conv2d(g, h, LATENT_CHANNELS, reversed[0], 3, "decoder.conv_in");
  h = g.scope("decoder", () => vaeMid(ctx, h, reversed[0]));
  let current = reversed[0];
  for (let block = 0; block < 4; block++) {
    g.scope(`decoder.up_blocks.${block}`, () => {
      for (let layer = 0; layer <= config.vae.layersPerBlock; layer++) {
        h = vaeResnet(ctx, h, current, reversed[block], `resnets.${layer}`);
        current = reversed[block];
      }
      if (block < 3) h = conv2d(g, upsampleNearest2x(g, h), current, current, 3, "upsamplers.0.conv");
    });
  }
  h = silu(g, groupNorm(g, h, current, config.vae.groups, "decoder.conv_norm_out", VAE_EPS));
  // The output conv is scaled so pictures land in about [-1, 1].
  const image = conv2d(g, h, current, 3, 3, "decoder.conv_out", { std: 0.5 / Math.sqrt(current * 9) });
  g.output(image, "sample", "float32", ["B", 3, "H", "W"]);
  return g;
}

/** sample [B,3,H,W] → latent_mean, latent_logvar [B,4,H/8,W/8], logvar clamped to [−30, 20] (diffusers `DiagonalGaussianDistribution`). */
export function buildVaeEncoderGraph(
  config: TinyPackConfig,
  options: { readonly quantConvStd?: number } = {},
): GraphBuilder {
  const g = new GraphBuilder("vae_encoder", config.seed ^ 0xe2c);
  const ctx: VaeContext = { g, groups: config.vae.groups };
  const channels = config.vae.channels;
  const image = g.input("sample", "float32", ["B", 3, "H", "W"]);
  let h = conv2d(g, image, 3, channels[0], 3, "encoder.conv_in");
  let current = channels[0];
  for (let block = 0; block < 4; block++) {
    g.scope(`encoder.down_blocks.${block}`, () => {
      for (let layer = 0; layer < config.vae.layersPerBlock; layer++) {
        h = vaeResnet(ctx, h, current, channels[block], `resnets.${layer}`);
        current = channels[block];
      }
      if (block < 3) {
        // diffusers' Downsample2D in the VAE pads right and bottom by one, then a stride-2 conv without padding.
        const padded = g.op("Pad", [h, g.constantInt64([0, 0, 0, 0, 0, 0, 1, 1]), g.scalar(0)], { mode: "constant" });
        h = conv2d(g, padded, current, current, 3, "downsamplers.0.conv", { stride: 2, padding: 0 });
      }
    });
  }
  h = g.scope("encoder", () => vaeMid(ctx, h, current));
  h = silu(g, groupNorm(g, h, current, config.vae.groups, "encoder.conv_norm_out", VAE_EPS));
  h = conv2d(g, h, current, 2 * LATENT_CHANNELS, 3, "encoder.conv_out");
  // `quantConvStd` lets a test push the log-variance past the clamp.
  const moments = conv2d(g, h, 2 * LATENT_CHANNELS, 2 * LATENT_CHANNELS, 1, "quant_conv", {
    std: options.quantConvStd,
  });
  const [mean, logvar] = g.opMulti("Split", [moments, g.constantInt64([LATENT_CHANNELS, LATENT_CHANNELS])], 2, {
    axis: 1,
  });
  g.output(mean, "latent_mean", "float32", ["B", LATENT_CHANNELS, "h", "w"]);
  g.output(g.op("Clip", [logvar, g.scalar(-30), g.scalar(20)]), "latent_logvar", "float32", [
    "B",
    LATENT_CHANNELS,
    "h",
    "w",
  ]);
  return g;
}
