/**
 * Which weight file of a diffusers / transformers component folder to read. Folders often hold
 * the same weights several ways (`.safetensors` and `.bin`, sharded or not, `fp16` variants);
 * we read one: safetensors before pickles (no code, a checked header), a shard index before a
 * lone file of the same format (a lone file beside an index is usually stale), and never a
 * variant (`model.fp16.safetensors`) since the plain file holds the weights as trained.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { openCheckpoint } from "./sharded.ts";
import { CheckpointError, type Checkpoint } from "./types.ts";

/** The base names diffusers (`diffusion_pytorch_model`) and transformers (`model`, `pytorch_model`) save under. */
const WEIGHT_BASES = ["diffusion_pytorch_model", "model", "pytorch_model"];
/** In order of preference. */
const WEIGHT_SUFFIXES = [".safetensors.index.json", ".safetensors", ".bin.index.json", ".bin"];

/**
 * The weight file to read among a component folder's file names, or undefined when it has none.
 *
 * @example chooseWeightFile(["config.json", "model.safetensors", "pytorch_model.bin"]) // "model.safetensors"
 */
export function chooseWeightFile(files: readonly string[]): string | undefined {
  const present = new Set(files);
  for (const suffix of WEIGHT_SUFFIXES) {
    for (const base of WEIGHT_BASES) if (present.has(base + suffix)) return base + suffix;
  }
  return undefined;
}

/**
 * Opens the weights of one component folder (`unet/`, `text_encoder/`, …) chosen by `chooseWeightFile`.
 *
 * @example const unet = await openComponentCheckpoint("blipdiffusion/unet");
 */
export async function openComponentCheckpoint(folder: string): Promise<Checkpoint> {
  const label = path.basename(folder);
  let files: string[];
  try {
    files = await readdir(folder);
  } catch (error) {
    throw new CheckpointError(label, `cannot list the component folder (${(error as Error).message})`);
  }
  const file = chooseWeightFile(files);
  if (!file) {
    throw new CheckpointError(
      label,
      `no weight file: expected one of ${WEIGHT_BASES.flatMap((base) => WEIGHT_SUFFIXES.map((suffix) => base + suffix)).join(", ")}`,
    );
  }
  return openCheckpoint(path.join(folder, file), `${label}/${file}`);
}
