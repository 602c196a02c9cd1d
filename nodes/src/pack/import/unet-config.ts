import type { ConfigReader } from "./config-fields.ts";

/**
 * The settings of a diffusers `UNet2DConditionModel` or `ControlNetModel` config.json that
 * Infix builds, each read or refused by name (diffusers 0.24 unet_2d_condition.py / controlnet.py).
 */
export interface UnetConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly blockOutChannels: readonly number[];
  /** Per down block: whether it is a CrossAttnDownBlock2D (else DownBlock2D). */
  readonly crossAttentionBlocks: readonly boolean[];
  readonly layersPerBlock: number;
  /** BasicTransformerBlocks per Transformer2DModel. */
  readonly transformerLayers: number;
  /** Attention heads per down block (diffusers' quirk: `num_attention_heads or attention_head_dim`). */
  readonly heads: readonly number[];
  readonly crossAttentionDim: number;
  readonly normGroups: number;
  readonly normEps: number;
  readonly flipSinToCos: boolean;
  readonly freqShift: number;
  readonly sampleSize: number;
  /** Attention scores in float32 even in a half-precision model (a float32 graph always does this). */
  readonly upcastAttention: boolean;
}

/** Reads and checks the UNet-shaped part of a UNet or ControlNet config. */
export function readUnetConfig(config: ConfigReader, kind: "unet" | "controlnet"): UnetConfig {
  // Every option below changes the math; Infix implements the Stable Diffusion 1.x values only.
  config.require("act_fn", ["silu"], "silu");
  config.require("attention_type", ["default"], "default");
  config.require("use_linear_projection", [false], false);
  config.require("only_cross_attention", [false], false);
  config.require("dual_cross_attention", [false], false);
  config.require("class_embed_type", [null]);
  config.require("addition_embed_type", [null]);
  config.require("encoder_hid_dim", [null]);
  config.require("encoder_hid_dim_type", [null]);
  config.require("resnet_time_scale_shift", ["default"], "default");
  config.require("mid_block_type", ["UNetMidBlock2DCrossAttn"], "UNetMidBlock2DCrossAttn");
  config.require("mid_block_scale_factor", [1], 1);
  config.require("time_embedding_type", ["positional"], "positional");
  config.require("time_embedding_dim", [null]);
  config.require("time_embedding_act_fn", [null]);
  config.require("timestep_post_act", [null]);
  config.require("time_cond_proj_dim", [null]);
  config.require("projection_class_embeddings_input_dim", [null]);
  config.require("num_class_embeds", [null]);
  config.require("conv_in_kernel", [3], 3);
  // 0 would mean Downsample2D's asymmetric (0, 1, 0, 1) pad, which only the VAE uses.
  config.require("downsample_padding", [1], 1);
  if (kind === "unet") {
    config.require("center_input_sample", [false], false);
    config.require("conv_out_kernel", [3], 3);
    config.require("cross_attention_norm", [null]);
    config.require("resnet_skip_time_act", [false], false);
    config.require("resnet_out_scale_factor", [1], 1);
    config.require("class_embeddings_concat", [false], false);
    config.require("mid_block_only_cross_attention", [null, false]);
    config.require("reverse_transformer_layers_per_block", [null]);
  } else {
    config.require("global_pool_conditions", [false], false);
    config.require("controlnet_conditioning_channel_order", ["rgb"], "rgb");
    config.require("conditioning_channels", [3], 3);
  }
  const blockOutChannels = config.integers("block_out_channels");
  const downTypes = config.strings("down_block_types");
  if (downTypes.length !== blockOutChannels.length) {
    config.require("down_block_types", [`${blockOutChannels.length} entries, one per block_out_channels`]);
  }
  for (const type of downTypes) {
    if (type !== "CrossAttnDownBlock2D" && type !== "DownBlock2D") {
      config.require("down_block_types", ["CrossAttnDownBlock2D", "DownBlock2D"], type);
    }
  }
  const crossAttentionBlocks = downTypes.map((t) => t === "CrossAttnDownBlock2D");
  if (kind === "unet") {
    const expectedUp = downTypes
      .map((t) => (t === "CrossAttnDownBlock2D" ? "CrossAttnUpBlock2D" : "UpBlock2D"))
      .reverse();
    config.require("up_block_types", [expectedUp]);
  }
  const headsField = config.has("num_attention_heads") ? "num_attention_heads" : "attention_head_dim";
  const rawHeads = config.raw(headsField) ?? 8;
  const heads = Array.isArray(rawHeads) ? (rawHeads as number[]) : blockOutChannels.map(() => rawHeads as number);
  if (
    heads.length !== blockOutChannels.length ||
    !heads.every((h, i) => Number.isInteger(h) && blockOutChannels[i] % h === 0)
  ) {
    config.require(headsField, [`a head count dividing every block_out_channels entry`]);
  }
  const transformerLayers = config.raw("transformer_layers_per_block") ?? 1;
  if (!Number.isInteger(transformerLayers) || (transformerLayers as number) < 1) {
    config.require("transformer_layers_per_block", ["a positive integer (one value for every block)"]);
  }
  const layersPerBlock = config.raw("layers_per_block") ?? 2;
  if (!Number.isInteger(layersPerBlock)) config.require("layers_per_block", ["one integer for every block"]);
  const crossAttentionDim = config.raw("cross_attention_dim") ?? 1280;
  if (!Number.isInteger(crossAttentionDim)) config.require("cross_attention_dim", ["one integer for every block"]);
  const normGroups = config.integer("norm_num_groups", 32);
  for (const channels of blockOutChannels) {
    if (channels % normGroups !== 0) config.require("norm_num_groups", [`a divisor of every block_out_channels entry`]);
  }
  return {
    inChannels: config.integer("in_channels", 4),
    outChannels: kind === "unet" ? config.integer("out_channels", 4) : 0,
    blockOutChannels,
    crossAttentionBlocks,
    layersPerBlock: layersPerBlock as number,
    transformerLayers: transformerLayers as number,
    heads,
    crossAttentionDim: crossAttentionDim as number,
    normGroups,
    normEps: config.number("norm_eps", 1e-5),
    flipSinToCos: config.boolean("flip_sin_to_cos", true),
    freqShift: config.integer("freq_shift", 0),
    sampleSize: kind === "unet" ? config.integer("sample_size", 64) : 0,
    upcastAttention: config.boolean("upcast_attention", false),
  };
}

/** The residuals a UNet offers a ControlNet, in order, mid last (MODEL_PACK.md `controlnet_residual_shapes`). */
export function unetResidualShapes(config: UnetConfig): { channels: number; downscale: number; mid?: boolean }[] {
  const channels = config.blockOutChannels;
  const shapes: { channels: number; downscale: number; mid?: boolean }[] = [{ channels: channels[0], downscale: 1 }];
  const last = channels.length - 1;
  for (let level = 0; level <= last; level++) {
    for (let layer = 0; layer < config.layersPerBlock; layer++)
      shapes.push({ channels: channels[level], downscale: 2 ** level });
    if (level < last) shapes.push({ channels: channels[level], downscale: 2 ** (level + 1) });
  }
  shapes.push({ channels: channels[last], downscale: 2 ** last, mid: true });
  return shapes;
}
