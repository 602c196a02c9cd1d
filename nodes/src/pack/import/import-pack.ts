import { existsSync } from "node:fs";
import { copyFile, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { writeOnnxModel, type GraphBuilder } from "@infix/engine/runtime";
import type { PackManifest } from "../manifest.ts";
import { CheckpointWeights } from "./checkpoint-weights.ts";
import { openComponentCheckpoint } from "./component-checkpoint.ts";
import { buildImportedControlnet } from "./controlnet.ts";
import { readPipelineConfigs, type ControlnetSource } from "./pipeline-configs.ts";
import { buildImportedQformer } from "./qformer.ts";
import { buildImportedTextEncoder } from "./text-encoder.ts";
import { buildImportedUnet } from "./unet.ts";
import { buildImportedVaeDecoder, buildImportedVaeEncoder } from "./vae.ts";

/**
 * `infix pack import`: turns a diffusers BLIP-Diffusion folder (model_index.json, each
 * component's config.json and weights) into a model pack (docs/model-pack.md). Everything is
 * written into a temporary sibling folder that is renamed into place at the end, so an
 * interrupted import leaves nothing behind.
 */

export type { ControlnetSource } from "./pipeline-configs.ts";

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

/** Reads weights, builds the graph, checks every tensor was used, writes the ONNX file. */
async function writeGraph(
  folder: string,
  prefix: string,
  outFile: string,
  build: (weights: CheckpointWeights) => GraphBuilder,
  options: { readonly float16: boolean; readonly externalDataThreshold?: number },
): Promise<void> {
  const checkpoint = await openComponentCheckpoint(folder);
  try {
    const weights = await CheckpointWeights.load(checkpoint, prefix);
    const graph = build(weights);
    weights.assertAllUsed();
    await mkdir(dirname(outFile), { recursive: true });
    await writeOnnxModel(graph, outFile, {
      float16: options.float16,
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
  const {
    text: textConfig,
    qformer: qformerConfig,
    unet: unetConfig,
    vae: vaeConfig,
    controlnets,
    manifest,
  } = await readPipelineConfigs(source, {
    name: basename(out),
    controlnets: options.controlnets,
    precision: options.precision,
  });
  const textMaxLength = manifest.text_max_length;
  const temp = join(dirname(out), `.${basename(out)}.importing-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  try {
    // The manifest's dtypes say which graphs are float16 (a VAE with force_upcast stays float32).
    const graphOptions = (graph: string) => ({
      float16: manifest.dtypes[graph] === "float16",
      externalDataThreshold: options.externalDataThreshold,
    });
    const steps: [string, () => Promise<void>][] = [
      [
        "text_encoder",
        () =>
          writeGraph(
            join(source, "text_encoder"),
            "text_model.",
            join(temp, "text_encoder.onnx"),
            (w) => buildImportedTextEncoder(textConfig, w),
            graphOptions("text_encoder"),
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
            graphOptions("qformer"),
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
            graphOptions("unet"),
          ),
      ],
      [
        "vae_decoder",
        () =>
          writeGraph(
            join(source, "vae"),
            "",
            join(temp, "vae_decoder.onnx"),
            (w) => vaeDecoderOnly(w),
            graphOptions("vae_decoder"),
          ),
      ],
      [
        "vae_encoder",
        () =>
          writeGraph(
            join(source, "vae"),
            "",
            join(temp, "vae_encoder.onnx"),
            (w) => vaeEncoderOnly(w),
            graphOptions("vae_encoder"),
          ),
      ],
      ...controlnets.map((c): [string, () => Promise<void>] => [
        `controlnet/${c.name}`,
        () =>
          writeGraph(
            c.folder,
            "",
            join(temp, "controlnet", `${c.name}.onnx`),
            (w) => buildImportedControlnet(c.config, w, textMaxLength),
            graphOptions(`controlnet/${c.name}`),
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
