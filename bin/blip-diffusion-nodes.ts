import { join, resolve } from "node:path";
import type { NodePackage, Resources, SessionPoolOptions } from "@infix/engine";
import type { PackInfo } from "@infix/protocol";
import { createNodeResources, nodePackage } from "@infix/nodes";
import { ensureExamplePictures } from "../examples/draw-subjects.ts";

/**
 * The BLIP-Diffusion node package and its resources (model-pack registry, which offers the
 * generated tiny pack by default). Loaded lazily by engine-setup so `--test-nodes` runs never touch onnxruntime.
 */
export async function blipDiffusionNodes(options: {
  dataDir: string;
  inputDir: string;
  modelsDir?: string;
  sessionOptions?: SessionPoolOptions;
}): Promise<{
  packages: NodePackage[];
  resources: Resources;
  packs: () => Promise<PackInfo[]>;
}> {
  // The example workflows read pictures drawn by code (nothing downloaded, no binaries
  // committed), drawn once per data folder.
  await ensureExamplePictures(join(options.inputDir, "examples"));
  const resources = await createNodeResources({
    modelsDir: options.modelsDir ? resolve(options.modelsDir) : undefined,
    digestCacheFile: join(options.dataDir, "pack-digests.json"),
    sessionOptions: options.sessionOptions,
  });
  return { packages: [nodePackage], resources, packs: () => resources.packs.list() };
}
