import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeSafetensors } from "@infix/engine/runtime";
import { ShapeOnlyWeights } from "../nodes/src/pack/import/checkpoint-weights.ts";
import { ConfigReader } from "../nodes/src/pack/import/config-fields.ts";
import { buildImportedQformer, readQformerConfig } from "../nodes/src/pack/import/qformer.ts";
import { clipVitLText, releasedQformer, sd15Unet, sdVae } from "../nodes/src/pack/import/released-configs.ts";
import { buildImportedTextEncoder, readTextEncoderConfig } from "../nodes/src/pack/import/text-encoder.ts";
import { buildImportedUnet } from "../nodes/src/pack/import/unet.ts";
import { readUnetConfig } from "../nodes/src/pack/import/unet-config.ts";
import { buildImportedVaeDecoder, buildImportedVaeEncoder, readVaeConfig } from "../nodes/src/pack/import/vae.ts";

/**
 * A BLIP-Diffusion diffusers folder of seeded random weights, written by our own safetensors
 * writer: `full` has the released shapes (SD 1.5 UNet, CLIP ViT-L text encoder, the released
 * Q-Former), `tiny` the shapes of the tiny fixture's configs. Shared by the import benchmark
 * (peak memory) and the GPU check (speed), which need weights of the right size, not trained ones.
 */

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
/** The tiny diffusers fixture: its tokenizers, scheduler and image processor are copied as they are. */
export const tinyFixture = join(repoRoot, "..", "shared", "fixtures", "blip-diffusion-tiny");

export type CheckpointSize = "tiny" | "full";

type Component = "text_encoder" | "qformer" | "unet" | "vae";

function configsFor(size: CheckpointSize): Record<Component, object> {
  if (size === "full") return { text_encoder: clipVitLText, qformer: releasedQformer, unet: sd15Unet, vae: sdVae };
  const read = (component: Component) =>
    JSON.parse(readFileSync(join(tinyFixture, component, "config.json"), "utf8")) as object;
  return {
    text_encoder: read("text_encoder"),
    qformer: read("qformer"),
    unet: read("unet"),
    vae: read("vae"),
  };
}

const reader = (name: string, json: object) => new ConfigReader(name, json as Record<string, unknown>);

/** Parameter names and torch shapes of each component, from our own builders. */
function parameters(
  configs: Record<Component, object>,
): Record<Component, { prefix: string; shapes: Map<string, readonly number[]> }> {
  const text = new ShapeOnlyWeights();
  buildImportedTextEncoder(readTextEncoderConfig(reader("text_encoder", configs.text_encoder)), text);
  const qformer = new ShapeOnlyWeights();
  buildImportedQformer(readQformerConfig(reader("qformer", configs.qformer)), qformer);
  const unet = new ShapeOnlyWeights();
  buildImportedUnet(readUnetConfig(reader("unet", configs.unet), "unet"), unet, {
    textLength: 77,
    selfAttnMaxTokens: 256,
  });
  const vae = new ShapeOnlyWeights();
  const vaeConfig = readVaeConfig(reader("vae", configs.vae));
  buildImportedVaeEncoder(vaeConfig, vae);
  buildImportedVaeDecoder(vaeConfig, vae);
  return {
    text_encoder: { prefix: "text_model.", shapes: text.shapes },
    qformer: { prefix: "", shapes: qformer.shapes },
    unet: { prefix: "", shapes: unet.shapes },
    vae: { prefix: "", shapes: vae.shapes },
  };
}

/** Small pseudo-random float32 bytes (xorshift32), fast enough for gigabytes. */
function randomBytes(count: number, seed: number): Uint8Array {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = ((state >>> 0) / 4294967296 - 0.5) * 0.04;
  }
  return new Uint8Array(out.buffer);
}

/**
 * Writes a BLIP-Diffusion diffusers folder of random float32 weights at `dir`.
 * @returns the largest component's weight bytes
 * @example const largest = await writeRandomCheckpoint("/tmp/blip", "full");
 */
export async function writeRandomCheckpoint(dir: string, size: CheckpointSize): Promise<number> {
  const configs = configsFor(size);
  let largest = 0;
  let seed = 1;
  for (const [component, { prefix, shapes }] of Object.entries(parameters(configs)) as [
    Component,
    { prefix: string; shapes: Map<string, readonly number[]> },
  ][]) {
    mkdirSync(join(dir, component), { recursive: true });
    writeFileSync(join(dir, component, "config.json"), JSON.stringify(configs[component]));
    const tensors = [...shapes].map(([name, shape]) => ({
      name: prefix + name,
      dtype: "float32" as const,
      shape,
      bytes: () =>
        randomBytes(
          shape.reduce((a, b) => a * b, 1),
          seed++,
        ),
    }));
    const bytes = tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1) * 4, 0);
    largest = Math.max(largest, bytes);
    const file =
      component === "text_encoder" || component === "qformer"
        ? "model.safetensors"
        : "diffusion_pytorch_model.safetensors";
    await writeSafetensors(join(dir, component, file), tensors);
  }
  for (const folder of ["scheduler", "image_processor", "tokenizer", "qformer_tokenizer"]) {
    cpSync(join(tinyFixture, folder), join(dir, folder), { recursive: true });
  }
  cpSync(join(tinyFixture, "model_index.json"), join(dir, "model_index.json"));
  return largest;
}
