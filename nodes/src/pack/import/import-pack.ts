import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { writeOnnxModel, type GraphBuilder } from "@infix/engine";
import { PACK_FORMAT, PACK_VERSION, PackManifestSchema, type PackManifest } from "../manifest.ts";
import { CheckpointWeights } from "./checkpoint-weights.ts";
import { openComponentCheckpoint } from "./component-checkpoint.ts";
import { ConfigReader, type JsonObject } from "./config-fields.ts";
import { assertControlnetFitsUnet, buildImportedControlnet, readControlnetConfig } from "./controlnet.ts";
import { buildImportedQformer, readQformerConfig } from "./qformer.ts";
import { buildImportedTextEncoder, readTextEncoderConfig } from "./text-encoder.ts";
import { buildImportedUnet } from "./unet.ts";
import { readUnetConfig, unetResidualShapes } from "./unet-config.ts";
import { buildImportedVaeDecoder, buildImportedVaeEncoder, readVaeConfig } from "./vae.ts";

/**
 * `infix pack import`: turns a diffusers BLIP-Diffusion folder (model_index.json, each
 * component's config.json and weights) into a model pack (docs/model-pack.md). Everything is
 * written into a temporary sibling folder that is renamed into place at the end, so an
 * interrupted import leaves nothing behind.
 */

export interface ControlnetSource {
  readonly folder: string;
  /** The name in the pack (controlnet/<name>.onnx); defaults to the folder's name without `controlnet-`/`sd-controlnet-`. */
  readonly name?: string;
}

export interface ImportPackOptions {
  /** The diffusers pipeline folder. */
  readonly source: string;
  /** The pack folder to create (must not exist). */
  readonly out: string;
  readonly controlnets?: readonly ControlnetSource[];
  /** BERT vocab.txt for the Q-Former when the source has no qformer_tokenizer/ (the released repository has none). */
  readonly qformerVocab?: string;
  /** Called as each component starts and ends. */
  readonly onProgress?: (event: ImportProgress) => void;
  readonly signal?: AbortSignal;
  /** fp16 writes half-precision graphs (for GPUs); fp32 by default. */
  readonly precision?: "fp32" | "fp16";
  /** Graph weight bytes above which a graph keeps its weights in `<graph>.onnx.data` (default just under 2 GiB). */
  readonly externalDataThreshold?: number;
}

export interface ImportProgress {
  readonly component: string;
  readonly index: number;
  readonly total: number;
  readonly state: "started" | "finished";
}

export interface ImportResult {
  readonly dir: string;
  readonly manifest: PackManifest;
}

const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";

async function readJson(path: string, label: string): Promise<JsonObject> {
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

/** Reads weights, builds the graph, checks every tensor was used, writes the ONNX file. */
async function writeGraph(
  folder: string,
  prefix: string,
  outFile: string,
  build: (weights: CheckpointWeights) => GraphBuilder,
  options: Pick<ImportPackOptions, "precision" | "externalDataThreshold">,
): Promise<void> {
  const checkpoint = await openComponentCheckpoint(folder);
  try {
    const weights = await CheckpointWeights.load(checkpoint, prefix);
    const graph = build(weights);
    weights.assertAllUsed();
    await mkdir(dirname(outFile), { recursive: true });
    await writeOnnxModel(graph, outFile, {
      float16: options.precision === "fp16",
      externalDataThreshold: options.externalDataThreshold,
    });
  } finally {
    await checkpoint.close();
  }
}

async function copyFolder(from: string, to: string, files: readonly string[]): Promise<void> {
  await mkdir(to, { recursive: true });
  const present = new Set(await readdir(from));
  for (const file of files) if (present.has(file)) await copyFile(join(from, file), join(to, file));
}

/** Imports a diffusers BLIP-Diffusion folder as a model pack at `options.out`. */
export async function importDiffusersPack(options: ImportPackOptions): Promise<ImportResult> {
  const source = resolve(options.source);
  const out = resolve(options.out);
  if (existsSync(out)) throw new Error(`${out} already exists; choose another --out or remove it`);
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
    name: basename(out),
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
    dtypes:
      options.precision === "fp16"
        ? Object.fromEntries(
            [
              "qformer",
              "text_encoder",
              "unet",
              "vae_decoder",
              "vae_encoder",
              ...controlnets.map((c) => `controlnet/${c.name}`),
            ].map((graph) => [graph, "float16"]),
          )
        : {},
    source: `Imported by Infix from the diffusers folder ${basename(source)}${controlnets.length ? ` with ControlNet ${controlnets.map((c) => basename(c.folder)).join(", ")}` : ""}; the weights keep their original licence.`,
  });

  const temp = join(dirname(out), `.${basename(out)}.importing-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  try {
    const steps: [string, () => Promise<void>][] = [
      [
        "text_encoder",
        () =>
          writeGraph(
            join(source, "text_encoder"),
            "text_model.",
            join(temp, "text_encoder.onnx"),
            (w) => buildImportedTextEncoder(textConfig, w),
            options,
          ),
      ],
      [
        "qformer",
        () =>
          writeGraph(
            join(source, "qformer"),
            "",
            join(temp, "qformer.onnx"),
            (w) => buildImportedQformer(qformerConfig, w),
            options,
          ),
      ],
      [
        "unet",
        () =>
          writeGraph(
            join(source, "unet"),
            "",
            join(temp, "unet.onnx"),
            (w) =>
              buildImportedUnet(unetConfig, w, {
                textLength: textMaxLength,
                selfAttnMaxTokens: manifest.unet.self_attn_max_tokens,
              }),
            options,
          ),
      ],
      [
        "vae_decoder",
        () => writeGraph(join(source, "vae"), "", join(temp, "vae_decoder.onnx"), (w) => vaeDecoderOnly(w), options),
      ],
      [
        "vae_encoder",
        () => writeGraph(join(source, "vae"), "", join(temp, "vae_encoder.onnx"), (w) => vaeEncoderOnly(w), options),
      ],
      ...controlnets.map((c): [string, () => Promise<void>] => [
        `controlnet/${c.name}`,
        () =>
          writeGraph(
            c.folder,
            "",
            join(temp, "controlnet", `${c.name}.onnx`),
            (w) => buildImportedControlnet(c.config, w, textMaxLength),
            options,
          ),
      ]),
      ["tokenizers", () => copyTokenizers(source, temp, options.qformerVocab)],
    ];
    // The VAE checkpoint holds encoder and decoder: each graph marks the other half as used.
    function vaeDecoderOnly(w: CheckpointWeights): GraphBuilder {
      for (const name of w.unusedNames())
        if (name.startsWith("encoder.") || name.startsWith("quant_conv.")) w.ignore(name);
      return buildImportedVaeDecoder(vaeConfig, w);
    }
    function vaeEncoderOnly(w: CheckpointWeights): GraphBuilder {
      for (const name of w.unusedNames())
        if (name.startsWith("decoder.") || name.startsWith("post_quant_conv.")) w.ignore(name);
      return buildImportedVaeEncoder(vaeConfig, w);
    }
    for (const [i, [component, run]] of steps.entries()) {
      options.signal?.throwIfAborted();
      options.onProgress?.({ component, index: i, total: steps.length, state: "started" });
      await run();
      options.onProgress?.({ component, index: i, total: steps.length, state: "finished" });
    }
    // The manifest goes last: a folder with a manifest is a finished pack.
    await writeFile(join(temp, "manifest.json"), json(manifest));
    await rename(temp, out);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return { dir: out, manifest };
}

async function copyTokenizers(source: string, temp: string, qformerVocab?: string): Promise<void> {
  const clipFiles = ["vocab.json", "merges.txt", "tokenizer.json", "special_tokens_map.json", "tokenizer_config.json"];
  await copyFolder(join(source, "tokenizer"), join(temp, "tokenizer"), clipFiles);
  const bertFolder = join(source, "qformer_tokenizer");
  if (existsSync(bertFolder)) {
    await copyFolder(bertFolder, join(temp, "qformer_tokenizer"), [
      "vocab.txt",
      "tokenizer.json",
      "special_tokens_map.json",
      "tokenizer_config.json",
    ]);
  } else if (qformerVocab) {
    await mkdir(join(temp, "qformer_tokenizer"), { recursive: true });
    await copyFile(qformerVocab, join(temp, "qformer_tokenizer", "vocab.txt"));
    await writeFile(
      join(temp, "qformer_tokenizer", "tokenizer_config.json"),
      json({ tokenizer_class: "BertTokenizer", do_lower_case: true }),
    );
  } else {
    throw new Error(
      "qformer_tokenizer/: missing. The released Q-Former reads bert-base-uncased's vocabulary: pass --qformer-vocab <vocab.txt>",
    );
  }
}
