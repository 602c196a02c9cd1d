/**
 * Sharded checkpoints: big models are saved as several weight files plus an index
 * (`diffusion_pytorch_model.safetensors.index.json`, `pytorch_model.bin.index.json`) whose
 * `weight_map` names the shard of every tensor (transformers `modeling_utils.load_sharded_checkpoint`).
 * One `Checkpoint` over all shards, each shard opened by its own format's reader.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { openSafetensors } from "./safetensors.ts";
import { openTorchBin } from "./torch-bin.ts";
import { CheckpointError, type Checkpoint, type CheckpointTensorInfo } from "./types.ts";

/** An index file is a small JSON map; anything bigger is not one. */
const MAX_INDEX_BYTES = 32 * 1024 * 1024;

/**
 * Opens one weight file by its name: `*.safetensors`, `*.bin`, or a shard index `*.index.json`.
 *
 * @example const text = await openCheckpoint("text_encoder/model.safetensors");
 */
export async function openCheckpoint(file: string, label = path.basename(file)): Promise<Checkpoint> {
  if (file.endsWith(".index.json")) return openShardedCheckpoint(file, label);
  if (file.endsWith(".safetensors")) return openSafetensors(file, label);
  if (file.endsWith(".bin")) return openTorchBin(file, label);
  throw new CheckpointError(label, "not a weight file: expected .safetensors, .bin or a shard index .index.json");
}

function parseWeightMap(text: string, label: string): Map<string, string> {
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(label, `not JSON (${(error as Error).message})`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError(label, 'a shard index needs a "weight_map" object of tensor name → shard file');
  }
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    // Shards sit beside their index: a path elsewhere (../, absolute, a sub-folder) is refused.
    if (typeof shard !== "string" || shard !== path.basename(shard) || shard === "." || shard === "..") {
      throw new CheckpointError(label, `shard ${JSON.stringify(shard)} must be a file name beside the index`, name);
    }
    if (shard.endsWith(".index.json")) throw new CheckpointError(label, `shard ${shard} is itself an index`, name);
    map.set(name, shard);
  }
  if (map.size === 0) throw new CheckpointError(label, "weight_map is empty");
  return map;
}

/**
 * Opens a shard index and every shard it names, checking that each mapped tensor is in its
 * shard. Tensors are listed shard by shard, in each shard's file order; a shard's tensors that
 * the index does not map are left out, as transformers does.
 */
export async function openShardedCheckpoint(indexFile: string, label = path.basename(indexFile)): Promise<Checkpoint> {
  let text: string;
  try {
    const bytes = await readFile(indexFile);
    if (bytes.length > MAX_INDEX_BYTES) throw new Error(`larger than ${MAX_INDEX_BYTES} bytes`);
    text = bytes.toString("utf8");
  } catch (error) {
    throw new CheckpointError(label, `cannot read the shard index (${(error as Error).message})`);
  }
  const weightMap = parseWeightMap(text, label);
  const folder = path.dirname(indexFile);
  const shards = new Map<string, Checkpoint>();
  try {
    for (const shard of new Set(weightMap.values())) {
      shards.set(shard, await openCheckpoint(path.join(folder, shard), shard));
    }
    for (const [name, shard] of weightMap) {
      if (!shards.get(shard)!.info(name)) {
        throw new CheckpointError(label, `the index maps it to ${shard}, which has no such tensor`, name);
      }
    }
  } catch (error) {
    await Promise.all([...shards.values()].map((checkpoint) => checkpoint.close()));
    throw error;
  }
  return new ShardedCheckpoint(label, weightMap, shards);
}

class ShardedCheckpoint implements Checkpoint {
  private readonly order: readonly string[];

  constructor(
    readonly label: string,
    private readonly weightMap: Map<string, string>,
    private readonly shards: Map<string, Checkpoint>,
  ) {
    this.order = [...shards].flatMap(([shard, checkpoint]) =>
      checkpoint.names().filter((name) => weightMap.get(name) === shard),
    );
  }

  names(): readonly string[] {
    return this.order;
  }

  private shardOf(name: string): Checkpoint | undefined {
    const shard = this.weightMap.get(name);
    return shard === undefined ? undefined : this.shards.get(shard);
  }

  info(name: string): CheckpointTensorInfo | undefined {
    return this.shardOf(name)?.info(name);
  }

  readFloat32(name: string): Promise<Float32Array> {
    const shard = this.shardOf(name);
    if (!shard) return Promise.reject(new CheckpointError(this.label, "no such tensor in the weight_map", name));
    return shard.readFloat32(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.shards.values()].map((checkpoint) => checkpoint.close()));
  }
}
