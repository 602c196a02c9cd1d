/**
 * The architecture fields of the released checkpoints' config.json files (Salesforce/blipdiffusion:
 * unet = Stable Diffusion 1.5, vae = SD's AutoencoderKL, text_encoder = CLIP ViT-L/14 text, qformer =
 * BLIP-2 ViT-L with Q = 16; lllyasviel/sd-controlnet-canny), used to build full-size graphs in tests
 * and to write the bench's full-size random checkpoint.
 */

export const sd15Unet = {
  _class_name: "UNet2DConditionModel",
  act_fn: "silu",
  attention_head_dim: 8,
  block_out_channels: [320, 640, 1280, 1280],
  center_input_sample: false,
  cross_attention_dim: 768,
  down_block_types: ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  downsample_padding: 1,
  flip_sin_to_cos: true,
  freq_shift: 0,
  in_channels: 4,
  layers_per_block: 2,
  mid_block_scale_factor: 1,
  norm_eps: 1e-5,
  norm_num_groups: 32,
  out_channels: 4,
  sample_size: 64,
  up_block_types: ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
};

export const controlnetCanny = {
  _class_name: "ControlNetModel",
  act_fn: "silu",
  attention_head_dim: 8,
  block_out_channels: [320, 640, 1280, 1280],
  class_embed_type: null,
  conditioning_embedding_out_channels: [16, 32, 96, 256],
  controlnet_conditioning_channel_order: "rgb",
  cross_attention_dim: 768,
  down_block_types: ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  downsample_padding: 1,
  flip_sin_to_cos: true,
  freq_shift: 0,
  in_channels: 4,
  layers_per_block: 2,
  mid_block_scale_factor: 1,
  norm_eps: 1e-5,
  norm_num_groups: 32,
  only_cross_attention: false,
  resnet_time_scale_shift: "default",
  upcast_attention: false,
  use_linear_projection: false,
};

export const clipVitLText = {
  architectures: ["ContextCLIPTextModel"],
  hidden_act: "quick_gelu",
  hidden_size: 768,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 77,
  num_attention_heads: 12,
  num_hidden_layers: 12,
  vocab_size: 49408,
};

export const releasedQformer = {
  architectures: ["Blip2QFormerModel"],
  num_query_tokens: 16,
  qformer_config: { cross_attention_frequency: 1, encoder_hidden_size: 1024, vocab_size: 30523 },
  vision_config: {
    hidden_act: "quick_gelu",
    hidden_size: 1024,
    image_size: 224,
    intermediate_size: 4096,
    layer_norm_eps: 1e-5,
    num_attention_heads: 16,
    num_hidden_layers: 23,
    patch_size: 14,
  },
};

export const sdVae = {
  _class_name: "AutoencoderKL",
  act_fn: "silu",
  block_out_channels: [128, 256, 512, 512],
  down_block_types: ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
  in_channels: 3,
  latent_channels: 4,
  layers_per_block: 2,
  norm_num_groups: 32,
  out_channels: 3,
  sample_size: 512,
  up_block_types: ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
};
