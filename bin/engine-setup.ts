import { resolve } from "node:path";
import type { NodePackage, Resources } from "@infix/engine";
import type { SessionPoolOptions } from "@infix/engine/runtime";
import { type WorkflowExecutor, OutputCache, Executor, FileStore, NodeRegistry } from "@infix/engine/host";
import type { NodePackageInfo } from "@infix/protocol";
import { localFileAccess } from "./local-files.ts";
import { mapResources } from "./map-resources.ts";

/**
 * Wires the engine and the node packages together: the one place that knows which node
 * packages exist. Adding a package is one line here (or in blip-diffusion-nodes.ts).
 */

export interface EngineSetupOptions {
  /** Holds input/, temp/ (and output/ unless `outputDir` is given). */
  dataDir: string;
  outputDir?: string;
  /** Folder of model packs (INFIX_MODELS when absent). */
  modelsDir?: string;
  /** Only the engine's test nodes (no BLIP-Diffusion nodes, no model packs): for tests and editor e2e. */
  testNodes?: boolean;
  /** Output cache budget; default 2 GiB. */
  cacheBudgetBytes?: number;
  /** onnxruntime settings: device, threads, optimization, session memory. */
  sessionOptions?: SessionPoolOptions;
  log?: (message: string) => void;
  /**
   * Let nodes read input files by absolute path or relative to the current folder, as well as
   * from the input folder (`infix run` on the user's machine; never the server).
   */
  localFiles?: boolean;
}

export interface EngineSetup {
  registry: NodeRegistry;
  resources: Resources;
  executor: WorkflowExecutor;
  cache: OutputCache;
  files: FileStore;
  /** What the node packages offer besides node types (their installed packs...), as /api/packages lists it. */
  packageInfo: () => Promise<NodePackageInfo[]>;
}

export const DEFAULT_CACHE_BUDGET_BYTES = 2 * 1024 ** 3;

/** Builds registry, resources, cache, file folders and executor from CLI options. */
export async function createEngineSetup(options: EngineSetupOptions): Promise<EngineSetup> {
  const log = options.log ?? ((message: string) => console.error(message));
  const dataDir = resolve(options.dataDir);
  const files = await FileStore.open(
    FileStore.foldersUnder(dataDir, options.outputDir ? { output: resolve(options.outputDir) } : {}),
  );
  let packages: NodePackage[];
  let resources: Resources;
  if (options.testNodes) {
    // Loaded only here: a production run never loads the testing entry (nor what its helpers import).
    const { testNodePackage } = await import("@infix/engine/testing");
    packages = [testNodePackage];
    resources = mapResources();
  } else {
    let blipDiffusionNodes: typeof import("./blip-diffusion-nodes.ts").blipDiffusionNodes;
    try {
      ({ blipDiffusionNodes } = await import("./blip-diffusion-nodes.ts"));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `the BLIP-Diffusion nodes could not be loaded (${reason}); --test-nodes starts with the engine's test nodes only`,
        { cause: error },
      );
    }
    ({ packages, resources } = await blipDiffusionNodes({
      dataDir,
      inputDir: files.folders.input,
      modelsDir: options.modelsDir,
      sessionOptions: options.sessionOptions,
    }));
  }
  const registry = new NodeRegistry(packages);
  const cache = new OutputCache({ budgetBytes: options.cacheBudgetBytes ?? DEFAULT_CACHE_BUDGET_BYTES });
  const executor = new Executor({
    registry,
    cache,
    resources,
    files: options.localFiles ? localFileAccess(files.access(), files.folders.input) : files.access(),
    log: { info: (message) => log(message), warn: (message) => log(`warning: ${message}`) },
  });
  return { registry, resources, executor, cache, files, packageInfo: () => registry.packageInfo(resources) };
}
