import { z } from "zod";

/** manifest.json of a model pack, format version 1 (../shared/MODEL_PACK.md). */

export const PACK_FORMAT = "blip-diffusion-onnx";
export const PACK_VERSION = 1;

const ResidualShapeSchema = z.object({
  channels: z.number().int().positive(),
  downscale: z.number().int().positive(),
  mid: z.boolean().optional(),
});

export const PackManifestSchema = z
  .object({
    format: z.literal(PACK_FORMAT),
    version: z.literal(PACK_VERSION),
    name: z.string().min(1),
    num_query_tokens: z.number().int().positive(),
    ctx_begin_pos: z.number().int().nonnegative(),
    text_max_length: z.number().int().positive(),
    text_hidden_size: z.number().int().positive(),
    qformer: z.object({
      image_size: z.number().int().positive(),
      image_mean: z.tuple([z.number(), z.number(), z.number()]),
      image_std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    }),
    vae: z.object({
      scale_factor: z.number().int().positive(),
      scaling_factor: z.number().positive(),
      latent_channels: z.number().int().positive(),
    }),
    unet: z.object({
      controlnet_residuals: z.number().int().nonnegative(),
      attention_control: z.boolean(),
      self_attn_max_tokens: z.number().int().nonnegative(),
      default_size: z.number().int().positive(),
      controlnet_residual_shapes: z.array(ResidualShapeSchema).default([]),
    }),
    // diffusers' scheduler_config keys; unknown keys are kept and ignored.
    scheduler: z
      .object({
        num_train_timesteps: z.number().int().positive(),
        beta_start: z.number().positive(),
        beta_end: z.number().positive(),
        beta_schedule: z.enum(["linear", "scaled_linear", "squaredcos_cap_v2"]),
        set_alpha_to_one: z.boolean().default(false),
        skip_prk_steps: z.boolean().default(true),
        steps_offset: z.number().int().nonnegative().default(0),
        prediction_type: z.enum(["epsilon", "v_prediction", "sample"]).default("epsilon"),
      })
      .passthrough(),
    controlnets: z
      .array(z.object({ name: z.string().min(1), file: z.string().min(1), preprocessor: z.string().optional() }))
      .default([]),
    dtypes: z.record(z.string(), z.enum(["float32", "float16"])).default({}),
    source: z.string().optional(),
  })
  .passthrough()
  .refine((m) => m.num_query_tokens < m.text_max_length, {
    message: "num_query_tokens must be smaller than text_max_length",
    path: ["num_query_tokens"],
  })
  .refine(
    (m) =>
      m.unet.controlnet_residuals === 0 || m.unet.controlnet_residual_shapes.length === m.unet.controlnet_residuals + 1,
    {
      message: "unet.controlnet_residual_shapes must list every down residual and then the mid one",
      path: ["unet", "controlnet_residual_shapes"],
    },
  );
export type PackManifest = z.infer<typeof PackManifestSchema>;

/**
 * The scheduler_config.json BLIP-Diffusion ships with (Salesforce/blipdiffusion,
 * scheduler/scheduler_config.json: a PNDMScheduler); the generated packs carry it too.
 */
export const BLIP_DIFFUSION_SCHEDULER_CONFIG = {
  _class_name: "PNDMScheduler",
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 0,
  prediction_type: "epsilon",
  trained_betas: null,
} as const satisfies PackManifest["scheduler"];
