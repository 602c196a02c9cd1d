import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { PACK_FORMAT, PACK_VERSION, PackManifestSchema, type PackManifest } from "../manifest.ts";
import { ConfigReader, type JsonObject } from "./config-fields.ts";
import { assertControlnetFitsUnet, readControlnetConfig, type ControlnetConfig } from "./controlnet.ts";
import { readQformerConfig, type QformerConfig } from "./qformer.ts";
import { readTextEncoderConfig, type TextEncoderConfig } from "./text-encoder.ts";
import { readUnetConfig, unetResidualShapes, type UnetConfig } from "./unet-config.ts";
import { readVaeConfig, type VaeConfig } from "./vae.ts";

/**
 * Reads a diffusers BLIP-Diffusion folder's model_index.json and every component's config,
 * checks that they fit together (the widths the pipeline feeds from one model into the next),
 * and derives the pack's manifest.json from them (docs/model-pack.md).
 */

export interface ControlnetSource {
  readonly folder: string;
  /** The name in the pack (controlnet/<name>.onnx); defaults to the folder's name without `controlnet-`/`sd-controlnet-`. */
  readonly name?: string;
}

export interface PipelineConfigs {
  readonly text: TextEncoderConfig;
  readonly qformer: QformerConfig;
  readonly unet: UnetConfig;
  readonly vae: VaeConfig;
  readonly controlnets: readonly {
    readonly name: string;
    readonly folder: string;
    readonly config: ControlnetConfig;
  }[];
  readonly manifest: PackManifest;
}

export async function readJson(path: string, label: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new Error(`${label}: missing (${path})`);
  }
  try {
    return JSON.parse(text) as JsonObject;
  } catch (error) {
    throw new Error(`${label}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

async function readComponentConfig(source: string, component: string): Promise<ConfigReader> {
  const file = `${component}/config.json`;
  return new ConfigReader(file, await readJson(join(source, component, "config.json"), file));
}

/** A ControlNet's pack name: given, or the folder name less its common prefixes (`sd-controlnet-canny` → `canny`). */
export function controlnetName(source: ControlnetSource): string {
  const name = source.name ?? basename(resolve(source.folder)).replace(/^(sd-)?controlnet[-_]?/, "");
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name)) {
    throw new Error(`ControlNet name "${name}" must be letters, digits, - or _ (give one as <folder>:<name>)`);
  }
  return name;
}

/**
 * Reads and checks every config of the pipeline at `source` and builds the manifest of the pack
 * named `name`.
 */
export async function readPipelineConfigs(
  source: string,
  options: {
    readonly name: string;
    readonly controlnets?: readonly ControlnetSource[];
    readonly precision?: "fp32" | "fp16";
  },
): Promise<PipelineConfigs> {
  const index = new ConfigReader(
    "model_index.json",
    await readJson(join(source, "model_index.json"), "model_index.json"),
  );
  index.require("_class_name", ["BlipDiffusionPipeline", "BlipDiffusionControlNetPipeline"]);

  const textConfig = readTextEncoderConfig(await readComponentConfig(source, "text_encoder"));
  const qformerConfig = readQformerConfig(await readComponentConfig(source, "qformer"));
  const unetConfig = readUnetConfig(await readComponentConfig(source, "unet"), "unet");
  const vaeConfig = readVaeConfig(await readComponentConfig(source, "vae"));
  const scheduler = await readJson(
    join(source, "scheduler", "scheduler_config.json"),
    "scheduler/scheduler_config.json",
  );
  const processor = new ConfigReader(
    "image_processor/preprocessor_config.json",
    await readJson(
      join(source, "image_processor", "preprocessor_config.json"),
      "image_processor/preprocessor_config.json",
    ),
  );
  const controlnets = await Promise.all(
    (options.controlnets ?? []).map(async (c) => {
      const name = controlnetName(c);
      const configFile = join(c.folder, "config.json");
      const config = readControlnetConfig(
        new ConfigReader(`${name}/config.json`, await readJson(configFile, configFile)),
      );
      assertControlnetFitsUnet(name, config, unetConfig);
      return { name, folder: resolve(c.folder), config };
    }),
  );

  // The widths the pipeline ties together (BlipDiffusionPipeline feeds one into the next).
  const D = textConfig.hiddenSize;
  if (qformerConfig.qformer.hiddenSize !== D) {
    throw new Error(
      `qformer hidden_size ${qformerConfig.qformer.hiddenSize} ≠ text_encoder hidden_size ${D}: the subject embedding could not enter the text encoder`,
    );
  }
  if (unetConfig.crossAttentionDim !== D) {
    throw new Error(`unet cross_attention_dim ${unetConfig.crossAttentionDim} ≠ text_encoder hidden_size ${D}`);
  }
  const processorSize = processor.child("size");
  const imageSize = processorSize.integer("height");
  if (processorSize.integer("width") !== imageSize || imageSize !== qformerConfig.vision.imageSize) {
    throw new Error(
      `image_processor size ${imageSize}×${processorSize.integer("width")} must be square and equal the Q-Former's image_size ${qformerConfig.vision.imageSize}`,
    );
  }
  const meanOf = (field: string, fallback: string): [number, number, number] => {
    const value = (index.has(field) ? index.raw(field) : processor.raw(fallback)) as unknown;
    if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === "number")) {
      throw new Error(
        `${index.has(field) ? "model_index.json " + field : "image_processor " + fallback} must be 3 numbers`,
      );
    }
    return value as [number, number, number];
  };
  const textMaxLength = textConfig.maxPositions;
  const shapes = unetResidualShapes(unetConfig);
  const latentSize = unetConfig.sampleSize;
  const manifest = PackManifestSchema.parse({
    format: PACK_FORMAT,
    version: PACK_VERSION,
    name: options.name,
    num_query_tokens: qformerConfig.numQueryTokens,
    ctx_begin_pos: index.integer("ctx_begin_pos", 2),
    text_max_length: textMaxLength,
    text_hidden_size: D,
    qformer: { image_size: imageSize, image_mean: meanOf("mean", "image_mean"), image_std: meanOf("std", "image_std") },
    vae: {
      scale_factor: vaeConfig.scaleFactor,
      scaling_factor: vaeConfig.scalingFactor,
      latent_channels: vaeConfig.latentChannels,
    },
    unet: {
      controlnet_residuals: shapes.length - 1,
      attention_control: true,
      // Self-attention control at 1/4 of the default latent and below (LAVIS: 16² tokens at 512 px).
      self_attn_max_tokens: Math.ceil(latentSize / 4) ** 2,
      default_size: latentSize * vaeConfig.scaleFactor,
      controlnet_residual_shapes: shapes,
    },
    scheduler,
    controlnets: controlnets.map((c) => ({
      name: c.name,
      file: `controlnet/${c.name}.onnx`,
      ...(c.name === "canny" ? { preprocessor: "canny" } : {}),
    })),
    dtypes: options.precision === "fp16" ? float16Graphs(unetConfig, vaeConfig, controlnets) : {},
    source: `Imported by Infix from the diffusers folder ${basename(source)}${controlnets.length ? ` with ControlNet ${controlnets.map((c) => basename(c.folder)).join(", ")}` : ""}; the weights keep their original licence.`,
  });

  return { text: textConfig, qformer: qformerConfig, unet: unetConfig, vae: vaeConfig, controlnets, manifest };
}

/**
 * The graphs written in float16 for `--precision fp16`. diffusers' `force_upcast` VAE runs in
 * float32 (its activations overflow half precision), so its graphs stay float32; a UNet or
 * ControlNet with `upcast_attention` cannot be half precision at all.
 */
function float16Graphs(
  unet: UnetConfig,
  vae: VaeConfig,
  controlnets: PipelineConfigs["controlnets"],
): Record<string, "float16"> {
  for (const [file, config] of [
    ["unet/config.json", unet],
    ...controlnets.map((c) => [`${c.name}/config.json`, c.config] as const),
  ] as const) {
    if (config.upcastAttention) {
      throw new Error(
        `${file}: upcast_attention = true computes attention in float32, which a float16 graph cannot; import with --precision fp32`,
      );
    }
  }
  const graphs = ["qformer", "text_encoder", "unet", ...controlnets.map((c) => `controlnet/${c.name}`)];
  if (!vae.forceUpcast) graphs.push("vae_decoder", "vae_encoder");
  return Object.fromEntries(graphs.map((graph) => [graph, "float16" as const]));
}
