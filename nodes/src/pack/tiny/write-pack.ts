import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { GraphBuilder } from "@infix/engine/runtime";
import type { TinyPackConfig } from "./config.ts";
import { buildControlnetGraph } from "./controlnet-graph.ts";
import { buildQformerGraph } from "./qformer-graph.ts";
import { buildTextEncoderGraph } from "./text-encoder-graph.ts";
import { buildTinyManifest } from "./tiny-manifest.ts";
import {
  buildBertTokenizerFiles,
  buildClipTokenizerFiles,
  CLIP_END_TOKEN,
  CLIP_START_TOKEN,
} from "./tokenizer-files.ts";
import { buildUnetGraph } from "./unet-graph.ts";
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from "./vae-graphs.ts";

/** The graphs of a generated pack, by their path inside the pack. */
export function buildPackGraphs(config: TinyPackConfig): Record<string, () => GraphBuilder> {
  const clip = buildClipTokenizerFiles();
  const bert = buildBertTokenizerFiles();
  return {
    "qformer.onnx": () => buildQformerGraph(config, bert.vocabSize),
    "text_encoder.onnx": () => buildTextEncoderGraph(config, clip.vocabSize),
    "unet.onnx": () => buildUnetGraph(config),
    "vae_decoder.onnx": () => buildVaeDecoderGraph(config),
    "vae_encoder.onnx": () => buildVaeEncoderGraph(config),
    "controlnet/canny.onnx": () => buildControlnetGraph(config),
  };
}

const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";

/** Writes a complete pack for `config` into the (existing or new) folder `dir`. Same bytes every time. */
export async function writeTinyPack(config: TinyPackConfig, dir: string): Promise<void> {
  await mkdir(join(dir, "controlnet"), { recursive: true });
  await mkdir(join(dir, "tokenizer"), { recursive: true });
  await mkdir(join(dir, "qformer_tokenizer"), { recursive: true });
  for (const [file, build] of Object.entries(buildPackGraphs(config))) {
    await writeFile(join(dir, file), build().toBytes());
  }
  const clip = buildClipTokenizerFiles();
  await writeFile(join(dir, "tokenizer", "vocab.json"), json(clip.vocab));
  await writeFile(join(dir, "tokenizer", "merges.txt"), clip.merges);
  await writeFile(
    join(dir, "tokenizer", "special_tokens_map.json"),
    json({
      bos_token: CLIP_START_TOKEN,
      eos_token: CLIP_END_TOKEN,
      unk_token: CLIP_END_TOKEN,
      pad_token: CLIP_END_TOKEN,
    }),
  );
  await writeFile(
    join(dir, "tokenizer", "tokenizer_config.json"),
    json({ tokenizer_class: "CLIPTokenizer", model_max_length: config.textMaxLength, do_lower_case: true }),
  );
  const bert = buildBertTokenizerFiles();
  await writeFile(join(dir, "qformer_tokenizer", "vocab.txt"), bert.vocabText);
  await writeFile(
    join(dir, "qformer_tokenizer", "tokenizer_config.json"),
    json({ tokenizer_class: "BertTokenizer", do_lower_case: true, model_max_length: 512 }),
  );
  // The manifest goes last: a folder with a manifest is a finished pack.
  await writeFile(join(dir, "manifest.json"), json(buildTinyManifest(config)));
}
