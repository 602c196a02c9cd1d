import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, join } from "node:path";
import { openSafetensors, type Checkpoint } from "@infix/engine";

/**
 * Opens the weights of one diffusers/transformers component folder (`unet/`, `qformer/`, …).
 * Safetensors is preferred (`diffusion_pytorch_model.safetensors` for diffusers models,
 * `model.safetensors` for transformers ones). This is where PyTorch `.bin` archives and sharded
 * checkpoints (`*.index.json`) plug in: their readers implement the same `Checkpoint`.
 */
export async function openComponentCheckpoint(folder: string): Promise<Checkpoint> {
  const component = basename(folder);
  for (const file of ["diffusion_pytorch_model.safetensors", "model.safetensors"]) {
    const path = join(folder, file);
    if (existsSync(path)) return openSafetensors(path, `${component}/${file}`);
  }
  const names = existsSync(folder) ? await readdir(folder) : [];
  const sharded = names.find((n) => n.endsWith(".safetensors.index.json") || n.endsWith(".bin.index.json"));
  const bin = names.find((n) => n.endsWith(".bin"));
  if (sharded)
    throw new Error(
      `${component}/${sharded}: sharded checkpoints are not readable yet; merge the shards into one .safetensors file`,
    );
  if (bin)
    throw new Error(
      `${component}/${bin}: PyTorch .bin weights are not readable yet; use the .safetensors weights of this model`,
    );
  throw new Error(
    `${component}/: no weights found (expected diffusion_pytorch_model.safetensors or model.safetensors)`,
  );
}
