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
import type { ImportWeightSource } from "./checkpoint-weights.ts";
import type { ConfigReader } from "./config-fields.ts";

/**
 * vae_encoder.onnx and vae_decoder.onnx from a diffusers `AutoencoderKL` checkpoint (diffusers
 * 0.24 autoencoder_kl.py, vae.py `Encoder`/`Decoder`): ResnetBlock2D without time embedding
 * (eps 1e-6), Downsample2D with the (0, 1, 0, 1) pad, a mid block with one single-head spatial
 * attention, quant_conv / post_quant_conv.
 */

export interface VaeConfig {
  readonly blockOutChannels: readonly number[];
  readonly layersPerBlock: number;
  readonly latentChannels: number;
  readonly normGroups: number;
  readonly scalingFactor: number;
  /** 2^(levels − 1): pixels per latent. */
  readonly scaleFactor: number;
  /** diffusers runs this VAE in float32 even in a float16 pipeline (`force_upcast`, default true). */
  readonly forceUpcast: boolean;
}

const VAE_EPS = 1e-6;

/** Reads vae/config.json (AutoencoderKL). */
export function readVaeConfig(config: ConfigReader): VaeConfig {
  config.require("_class_name", ["AutoencoderKL"], "AutoencoderKL");
  config.require("act_fn", ["silu"], "silu");
  config.require("in_channels", [3], 3);
  config.require("out_channels", [3], 3);
  config.require("mid_block_add_attention", [true], true);
  config.require("use_quant_conv", [true], true);
  config.require("use_post_quant_conv", [true], true);
  config.require("latents_mean", [null]);
  const blockOutChannels = config.integers("block_out_channels");
  const downTypes = config.strings("down_block_types");
  const upTypes = config.strings("up_block_types");
  if (downTypes.length !== blockOutChannels.length || downTypes.some((t) => t !== "DownEncoderBlock2D")) {
    config.require("down_block_types", [blockOutChannels.map(() => "DownEncoderBlock2D")]);
  }
  if (upTypes.length !== blockOutChannels.length || upTypes.some((t) => t !== "UpDecoderBlock2D")) {
    config.require("up_block_types", [blockOutChannels.map(() => "UpDecoderBlock2D")]);
  }
  const normGroups = config.integer("norm_num_groups", 32);
  for (const channels of blockOutChannels) {
    if (channels % normGroups !== 0) config.require("norm_num_groups", ["a divisor of every block_out_channels entry"]);
  }
  return {
    blockOutChannels,
    layersPerBlock: config.integer("layers_per_block", 1),
    latentChannels: config.integer("latent_channels", 4),
    normGroups,
    scalingFactor: config.number("scaling_factor", 0.18215),
    scaleFactor: 2 ** (blockOutChannels.length - 1),
    forceUpcast: config.boolean("force_upcast", true),
  };
}

function resnet(
  g: GraphBuilder,
  groups: number,
  x: Value,
  inChannels: number,
  outChannels: number,
  name: string,
): Value {
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
    );
    const skip = inChannels === outChannels ? x : conv2d(g, x, inChannels, outChannels, 1, "conv_shortcut");
    return g.op("Add", [skip, h]);
  });
}

/** UNetMidBlock2D: ResNet, Attention (group norm, one head of all channels, residual), ResNet. */
function midBlock(g: GraphBuilder, groups: number, x: Value, channels: number): Value {
  return g.scope("mid_block", () => {
    const h = resnet(g, groups, x, channels, channels, "resnets.0");
    const tokens = featureMapToTokens(g, groupNorm(g, h, channels, groups, "attentions.0.group_norm", VAE_EPS));
    const attended = attention(g, "attentions.0", {
      query: tokens,
      queryDim: channels,
      heads: 1,
      qkvBias: true,
      projectionNames: { q: "to_q", k: "to_k", v: "to_v", out: "to_out.0" },
    });
    const withAttention = g.op("Add", [tokensToFeatureMap(g, attended.output, h), h]);
    return resnet(g, groups, withAttention, channels, channels, "resnets.1");
  });
}

/** latent_sample [B, latent, h, w] → sample [B, 3, 8h, 8w] (post_quant_conv, then the decoder). */
export function buildImportedVaeDecoder(config: VaeConfig, weights: ImportWeightSource): GraphBuilder {
  const g = new GraphBuilder("vae_decoder", 0, weights);
  const reversed = [...config.blockOutChannels].reverse();
  const groups = config.normGroups;
  const latent = g.input("latent_sample", "float32", ["B", config.latentChannels, "h", "w"]);
  let h = conv2d(g, latent, config.latentChannels, config.latentChannels, 1, "post_quant_conv");
  g.scope("decoder", () => {
    h = conv2d(g, h, config.latentChannels, reversed[0], 3, "conv_in");
    h = midBlock(g, groups, h, reversed[0]);
    let current = reversed[0];
    for (let block = 0; block < reversed.length; block++) {
      g.scope(`up_blocks.${block}`, () => {
        for (let layer = 0; layer <= config.layersPerBlock; layer++) {
          h = resnet(g, groups, h, current, reversed[block], `resnets.${layer}`);
          current = reversed[block];
        }
        if (block < reversed.length - 1)
          h = conv2d(g, upsampleNearest2x(g, h), current, current, 3, "upsamplers.0.conv");
      });
    }
    h = silu(g, groupNorm(g, h, current, groups, "conv_norm_out", VAE_EPS));
    h = conv2d(g, h, current, 3, 3, "conv_out");
  });
  g.output(h, "sample", "float32", ["B", 3, "H", "W"]);
  return g;
}

/** sample [B, 3, H, W] → latent_mean, latent_logvar (clamped to [−30, 20], `DiagonalGaussianDistribution`). */
export function buildImportedVaeEncoder(config: VaeConfig, weights: ImportWeightSource): GraphBuilder {
  const g = new GraphBuilder("vae_encoder", 0, weights);
  const channels = config.blockOutChannels;
  const groups = config.normGroups;
  const L = config.latentChannels;
  const image = g.input("sample", "float32", ["B", 3, "H", "W"]);
  let h = image;
  g.scope("encoder", () => {
    h = conv2d(g, h, 3, channels[0], 3, "conv_in");
    let current = channels[0];
    for (let block = 0; block < channels.length; block++) {
      g.scope(`down_blocks.${block}`, () => {
        for (let layer = 0; layer < config.layersPerBlock; layer++) {
          h = resnet(g, groups, h, current, channels[block], `resnets.${layer}`);
          current = channels[block];
        }
        if (block < channels.length - 1) {
          const padded = g.op("Pad", [h, g.constantInt64([0, 0, 0, 0, 0, 0, 1, 1]), g.scalar(0)], { mode: "constant" });
          h = conv2d(g, padded, current, current, 3, "downsamplers.0.conv", { stride: 2, padding: 0 });
        }
      });
    }
    h = midBlock(g, groups, h, current);
    h = silu(g, groupNorm(g, h, current, groups, "conv_norm_out", VAE_EPS));
    h = conv2d(g, h, current, 2 * L, 3, "conv_out");
  });
  const moments = conv2d(g, h, 2 * L, 2 * L, 1, "quant_conv");
  const [mean, logvar] = g.opMulti("Split", [moments, g.constantInt64([L, L])], 2, { axis: 1 });
  g.output(mean, "latent_mean", "float32", ["B", L, "h", "w"]);
  g.output(g.op("Clip", [logvar, g.scalar(-30), g.scalar(20)]), "latent_logvar", "float32", ["B", L, "h", "w"]);
  return g;
}
