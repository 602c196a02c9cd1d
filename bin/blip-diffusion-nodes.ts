import { join, resolve } from "node:path";
import type { NodePackage, Resources } from "@infix/engine";
import type { PackInfo } from "@infix/protocol";
import { createNodeResources, nodePackage } from "@infix/nodes";
import { ensureTinyPack } from "../nodes/src/pack/tiny/index.ts";

/**
 * The BLIP-Diffusion node package and its resources (model-pack registry with the embedded
 * tiny pack). Loaded lazily by engine-setup so `--test-nodes` runs never touch onnxruntime.
 */
export async function blipDiffusionNodes(options: { dataDir: string; modelsDir?: string }): Promise<{
  packages: NodePackage[];
  resources: Resources;
  packs: () => Promise<PackInfo[]>;
}> {
  const resources = await createNodeResources({
    modelsDir: options.modelsDir ? resolve(options.modelsDir) : undefined,
    tinyPackDir: () => ensureTinyPack(),
    digestCacheFile: join(options.dataDir, "pack-digests.json"),
  });
  return { packages: [nodePackage], resources, packs: () => resources.packs.list() };
}
