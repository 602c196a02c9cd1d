import { join, resolve } from "node:path";
import type { NodePackage, Resources } from "@infix/engine";
import type { SessionPoolOptions } from "@infix/engine/runtime";
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
}> {
  // The example workflows read pictures drawn by code (nothing downloaded, no binaries
  // committed), drawn once per data folder. A link placed at input/examples is refused, not
  // written through; the server still starts.
  await ensureExamplePictures(join(options.inputDir, "examples")).catch((error: unknown) =>
    console.error(`warning: the example pictures were not written: ${(error as Error).message}`),
  );
  const resources = await createNodeResources({
    modelsDir: options.modelsDir ? resolve(options.modelsDir) : undefined,
    digestCacheFile: join(options.dataDir, "pack-digests.json"),
    sessionOptions: options.sessionOptions,
    // A diffusers folder in the models folder is imported on first use (in half precision for
    // a GPU); say so, it takes a while.
    importPrecision: options.sessionOptions?.executionProvider === "cuda" ? "fp16" : "fp32",
    onImportProgress: (pack, event) =>
      console.error(`importing ${pack}: ${event.component} ${event.state} (${event.index + 1}/${event.total})`),
  });
  return { packages: [nodePackage], resources };
}
