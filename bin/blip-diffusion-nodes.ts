import { join, resolve } from "node:path";
import type { NodePackage, Resources } from "@infix/engine";
import type { PackInfo } from "@infix/protocol";
import { createNodeResources, nodePackage } from "@infix/nodes";

/**
 * The BLIP-Diffusion node package and its resources (model-pack registry, which offers the
 * generated tiny pack by default). Loaded lazily by engine-setup so `--test-nodes` runs never touch onnxruntime.
 */
export async function blipDiffusionNodes(options: { dataDir: string; modelsDir?: string }): Promise<{
  packages: NodePackage[];
  resources: Resources;
  packs: () => Promise<PackInfo[]>;
}> {
  const resources = await createNodeResources({
    modelsDir: options.modelsDir ? resolve(options.modelsDir) : undefined,
    digestCacheFile: join(options.dataDir, "pack-digests.json"),
  });
  return { packages: [nodePackage], resources, packs: () => resources.packs.list() };
}
