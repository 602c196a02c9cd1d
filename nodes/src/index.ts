import type { NodeDefinition, NodePackage, ResourceKey, Resources } from "@infix/engine";
import { type SessionPoolOptions, SessionPool } from "@infix/engine/runtime";
import { cannyEdgesNode } from "./control/canny-edges.ts";
import { controlNetApplyNode } from "./control/controlnet-apply.ts";
import { attentionControllerNode } from "./editing/attention-controller-node.ts";
import { attentionMapsNode } from "./editing/attention-maps-node.ts";
import { ddimInversionNode } from "./editing/ddim-inversion-node.ts";
import { grayscaleNode } from "./image/grayscale.ts";
import { invertImageNode } from "./image/invert-image.ts";
import { loadImageNode } from "./image/load-image.ts";
import { loadImagesNode } from "./image/load-images.ts";
import { previewImageNode } from "./image/preview-image.ts";
import { resizeImageNode } from "./image/resize-image.ts";
import { saveImageNode } from "./image/save-image.ts";
import { emptyLatentNode } from "./latent/empty-latent.ts";
import { loadLatentNode } from "./latent/load-latent.ts";
import { saveLatentNode } from "./latent/save-latent.ts";
import { vaeDecodeNode } from "./latent/vae-decode.ts";
import { vaeEncodeNode } from "./latent/vae-encode.ts";
import { loadModelPackNode } from "./model/load-model-pack.ts";
import { refreshPackIds } from "./model/pack-options.ts";
import type { ImportPrecision, SourceImportProgress } from "./pack/diffusers-source.ts";
import { importDiffusersPack } from "./pack/import/import-pack.ts";
import { describeModelPacks, modelPackKind } from "./pack/package-info.ts";
import { PackRegistry, PACKS } from "./pack/registry.ts";
import { ensureTinyPack } from "./pack/tiny/index.ts";
import { samplerNode } from "./sampling/sampler.ts";
import { schedulerNode } from "./sampling/scheduler-node.ts";
import { SOCKET_TYPES } from "./sockets.ts";
import { loadSubjectNode } from "./subject/load-subject.ts";
import { qformerEncodeNode } from "./subject/qformer-encode.ts";
import { saveSubjectNode } from "./subject/save-subject.ts";
import { subjectUploadKind } from "./subject/subject-upload.ts";
import { subjectMixNode } from "./subject/subject-mix.ts";
import { subjectPromptNode } from "./text/subject-prompt-node.ts";
import { textEncodeNode } from "./text/text-encode.ts";

/** Every BLIP-Diffusion node type, in palette order. */
export const NODE_DEFINITIONS: readonly NodeDefinition[] = [
  loadModelPackNode,
  loadImageNode,
  loadImagesNode,
  qformerEncodeNode,
  subjectMixNode,
  saveSubjectNode,
  loadSubjectNode,
  subjectPromptNode,
  textEncodeNode,
  emptyLatentNode,
  resizeImageNode,
  grayscaleNode,
  invertImageNode,
  cannyEdgesNode,
  controlNetApplyNode,
  samplerNode,
  schedulerNode,
  attentionControllerNode,
  ddimInversionNode,
  vaeDecodeNode,
  attentionMapsNode,
  vaeEncodeNode,
  saveLatentNode,
  loadLatentNode,
  previewImageNode,
  saveImageNode,
];

/**
 * The package the server entry registers: node types, the socket types they introduce, the
 * files users may upload for them, and the model packs it offers (GET /api/packages).
 */
export const nodePackage: NodePackage = {
  name: "blip-diffusion",
  nodes: NODE_DEFINITIONS,
  socketTypes: SOCKET_TYPES,
  uploadKinds: [subjectUploadKind],
  resourceKinds: [modelPackKind],
  describe: describeModelPacks,
};

export interface NodeResourceOptions {
  /** Folder of model packs (one folder each); INFIX_MODELS when absent. */
  modelsDir?: string;
  /** onnxruntime session settings shared by every pack (execution provider, threads, memory budget). */
  sessionOptions?: SessionPoolOptions;
  /** Makes (or finds) the embedded tiny pack and returns its folder; `ensureTinyPack` by default, `null` for no tiny pack. */
  tinyPackDir?: (() => Promise<string>) | null;
  /** Where pack file digests are remembered between runs. */
  digestCacheFile?: string;
  /** Precision of packs imported from diffusers folders in the models folder (fp16 for a GPU); fp32 by default. */
  importPrecision?: ImportPrecision;
  /** Told of each component as a diffusers folder in the models folder is imported on first use. */
  onImportProgress?: (packId: string, event: SourceImportProgress) => void;
}

/** Resources for the nodes, plus the pack registry (the `pack` commands and tests list it). */
export interface NodeResources extends Resources {
  readonly packs: PackRegistry;
}

/**
 * Builds what the nodes need at run time — the model-pack registry under `PACKS` — and
 * lists the packs once so Load Model Pack's options are ready when the schemas are served.
 * @example const resources = await createNodeResources({ modelsDir: "data/models" });
 */
export async function createNodeResources(options: NodeResourceOptions = {}): Promise<NodeResources> {
  const packs = new PackRegistry({
    modelsDir: options.modelsDir,
    pool: new SessionPool(options.sessionOptions),
    tinyPackDir: options.tinyPackDir === null ? undefined : (options.tinyPackDir ?? (() => ensureTinyPack())),
    digestCacheFile: options.digestCacheFile,
    importDiffusers: (request) => importDiffusersPack(request),
    ...(options.onImportProgress && { onImportProgress: options.onImportProgress }),
    ...(options.importPrecision && { importPrecision: options.importPrecision }),
  });
  await refreshPackIds(packs).catch(() => undefined);
  const values = new Map<string, unknown>([[PACKS.id, packs]]);
  return {
    packs,
    get<T>(key: ResourceKey<T>): T {
      if (!values.has(key.id)) throw new Error(`no resource "${key.id}" in the BLIP-Diffusion node resources`);
      return values.get(key.id) as T;
    },
    has: (key) => values.has(key.id),
  };
}

export { PACKS, type PackListing } from "./pack/registry.ts";
export { INSTALL_HELP, MODEL_PACK_KIND } from "./pack/package-info.ts";
export type * from "./sockets.ts";
export { importDiffusersPack } from "./pack/import/import-pack.ts";
export { controlnetName } from "./pack/import/pipeline-configs.ts";
export type { ControlnetSource, ImportPackOptions, ImportProgress, ImportResult } from "./pack/import/import-pack.ts";
export { openComponentCheckpoint } from "./pack/import/component-checkpoint.ts";
export { FileDigestCache } from "./pack/content-hash.ts";
export { ensureTinyPack } from "./pack/tiny/index.ts";
export { formatVerifyReport, verifyPack, type GraphCheck, type PackVerifyReport } from "./pack/verify.ts";
export {
  ensureImported,
  isDiffusersFolder,
  type DiffusersImporter,
  type ImportPrecision,
  type SourceImportProgress,
} from "./pack/diffusers-source.ts";
