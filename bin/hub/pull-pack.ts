/**
 * `infix pack pull`'s download half: fetches from the Hub exactly the files a model pack is
 * made from (a diffusers pipeline's `model_index.json`, each component's configs and tokenizer
 * files and ONE weight format per component, ControlNets, the Q-Former's BERT vocabulary) into
 * a diffusers folder, which the importer then turns into a pack.
 */
import { copyFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { chooseWeightFile } from "@infix/engine/runtime";
import { downloadHubFile, HubDownloadError, listHubFiles, type HubAccess, type HubFile } from "./hub-download.ts";

/** The released Q-Former reads its vocabulary from BERT's (LAVIS `Blip2Base.init_tokenizer`), which its repository lacks. */
export const QFORMER_VOCAB_REPO = "google-bert/bert-base-uncased";
/** The folder the pack importer reads the Q-Former's tokenizer from (the fixture's layout). */
export const QFORMER_TOKENIZER_FOLDER = "qformer_tokenizer";

export interface PullRequest {
  /** The pipeline repository, e.g. `Salesforce/blipdiffusion`. */
  repo: string;
  /** ControlNet repositories and the names their folders (`controlnet-<name>/`) get. */
  controlnets: readonly { repo: string; name: string }[];
  /** A local BERT `vocab.txt` to use instead of downloading bert-base-uncased's. */
  qformerVocab?: string;
  /** The diffusers folder to fill (created if missing; files already there and verified are kept). */
  dest: string;
  /** Branch, tag or commit of the pipeline repository (ControlNets and BERT come from their main). */
  revision?: string;
}

/** Bytes done and to do over the whole pull, and the file being fetched. */
export interface PullProgress {
  file: string;
  doneBytes: number;
  totalBytes: number;
}

/** One file to fetch: from which repository, and into which folder under the destination. */
interface PlannedFile {
  repo: string;
  file: HubFile;
  folder: string;
}

/** Files a component needs besides weights: configs, tokenizer vocabularies and merges. */
function isSmallFile(name: string): boolean {
  return (name.endsWith(".json") && !name.endsWith(".index.json")) || name.endsWith(".txt");
}

/** The weight file of one folder of a repository listing, or undefined when it holds no weights. */
function weightOf(repo: string, files: readonly HubFile[], folder: string): HubFile | undefined {
  const prefix = folder ? `${folder}/` : "";
  const direct = files.filter((f) => f.path.startsWith(prefix) && !f.path.slice(prefix.length).includes("/"));
  const chosen = chooseWeightFile(direct.map((f) => f.path.slice(prefix.length)));
  if (!chosen) {
    const variants = direct.filter((f) => /\.(safetensors|bin)$/.test(f.path));
    if (variants.length > 0) {
      throw new HubDownloadError(
        repo,
        folder,
        `no plain weight file, only ${variants.map((f) => f.path).join(", ")}; Infix reads the full-precision weights`,
      );
    }
    return undefined;
  }
  return direct.find((f) => f.path === prefix + chosen);
}

/** What a folder of a repository contributes: its small files and its weight file. */
function planFolder(repo: string, files: readonly HubFile[], folder: string, into: string): PlannedFile[] {
  const prefix = folder ? `${folder}/` : "";
  const planned = files
    .filter((f) => f.path.startsWith(prefix) && !f.path.slice(prefix.length).includes("/"))
    .filter((f) => isSmallFile(f.path.slice(prefix.length)))
    .map((file) => ({ repo, file, folder: into }));
  const weight = weightOf(repo, files, folder);
  if (weight) planned.push({ repo, file: weight, folder: into });
  return planned;
}

/** A pipeline's components: model_index.json entries `name: [library, class]` with a library. */
function componentsOf(modelIndex: unknown, repo: string): string[] {
  if (typeof modelIndex !== "object" || modelIndex === null) {
    throw new HubDownloadError(repo, "model_index.json", "is not a JSON object");
  }
  return Object.entries(modelIndex)
    .filter(([key, value]) => !key.startsWith("_") && Array.isArray(value) && typeof value[0] === "string")
    .map(([key]) => key);
}

/** A pulled file's place on disk: `<dest>/<folder>/<path>`, where `path` keeps the repository's sub-folders. */
function relativeTarget(planned: PlannedFile): string {
  return planned.folder ? path.join(planned.folder, planned.file.path) : planned.file.path;
}

/**
 * Downloads a pipeline and its ControlNets into `request.dest` as one diffusers folder:
 * `model_index.json`, `<component>/…`, `controlnet-<name>/…`, `qformer_tokenizer/vocab.txt`.
 * Sharded weights bring their index and every shard it names. Returns the files written
 * (relative to `dest`).
 *
 * @example
 * await pullPackSource({ repo: "Salesforce/blipdiffusion", controlnets: [], dest: "models/blipdiffusion" },
 *   hubAccessFromEnv(process.env), (p) => console.error(p.doneBytes, p.totalBytes));
 */
export async function pullPackSource(
  request: PullRequest,
  access: HubAccess,
  onProgress: (progress: PullProgress) => void = () => {},
  signal?: AbortSignal,
): Promise<string[]> {
  const { repo, dest } = request;
  // A revision names a commit of the pipeline only; the other repositories are read at main.
  const others: HubAccess = { ...access, revision: undefined };
  const accessTo = (name: string): HubAccess =>
    name === repo ? { ...access, ...(request.revision && { revision: request.revision }) } : others;
  const pipelineFiles = await listHubFiles(repo, accessTo(repo));
  const modelIndexFile = pipelineFiles.find((f) => f.path === "model_index.json");
  if (!modelIndexFile) {
    throw new HubDownloadError(repo, "model_index.json", "missing: not a diffusers pipeline repository");
  }
  await mkdir(dest, { recursive: true });
  const modelIndexPath = await downloadHubFile(repo, modelIndexFile, dest, accessTo(repo), undefined, signal);
  let modelIndex: unknown;
  try {
    modelIndex = JSON.parse(await readFile(modelIndexPath, "utf8"));
  } catch (error) {
    throw new HubDownloadError(repo, "model_index.json", `is not JSON (${(error as Error).message})`);
  }

  const plan: PlannedFile[] = [{ repo, file: modelIndexFile, folder: "" }];
  for (const component of componentsOf(modelIndex, repo)) plan.push(...planFolder(repo, pipelineFiles, component, ""));
  for (const controlnet of request.controlnets) {
    const files = await listHubFiles(controlnet.repo, accessTo(controlnet.repo));
    const planned = planFolder(controlnet.repo, files, "", `controlnet-${controlnet.name}`);
    if (!planned.some((p) => p.file.path === "config.json")) {
      throw new HubDownloadError(controlnet.repo, "config.json", "missing: not a diffusers ControlNet repository");
    }
    plan.push(...planned);
  }
  const hasVocab = pipelineFiles.some((f) => f.path === `${QFORMER_TOKENIZER_FOLDER}/vocab.txt`);
  if (!hasVocab && request.qformerVocab === undefined) {
    const bert = await listHubFiles(QFORMER_VOCAB_REPO, others);
    const vocab = bert.filter((f) => f.path === "vocab.txt" || f.path === "tokenizer_config.json");
    if (!vocab.some((f) => f.path === "vocab.txt")) {
      throw new HubDownloadError(QFORMER_VOCAB_REPO, "vocab.txt", "missing; pass --qformer-vocab <vocab.txt>");
    }
    plan.push(...vocab.map((file) => ({ repo: QFORMER_VOCAB_REPO, file, folder: QFORMER_TOKENIZER_FOLDER })));
  }

  const progress: PullProgress = { file: "", doneBytes: 0, totalBytes: plan.reduce((sum, p) => sum + p.file.size, 0) };
  const written: string[] = [];
  const fetchOne = async (planned: PlannedFile) => {
    progress.file = relativeTarget(planned);
    onProgress({ ...progress });
    const target = await downloadHubFile(
      planned.repo,
      planned.file,
      path.join(dest, planned.folder),
      accessTo(planned.repo),
      (bytes) => {
        progress.doneBytes += bytes;
        onProgress({ ...progress });
      },
      signal,
    );
    written.push(path.relative(dest, target));
    return target;
  };
  for (let i = 0; i < plan.length; i++) {
    const planned = plan[i];
    const target = await fetchOne(planned);
    if (planned.file.path.endsWith(".index.json")) {
      // A shard index: the shards it maps come next, from the index's folder of the listing.
      const listing = planned.repo === repo ? pipelineFiles : await listHubFiles(planned.repo, accessTo(planned.repo));
      const shards = await shardsOf(target, planned, listing);
      progress.totalBytes += shards.reduce((sum, s) => sum + s.file.size, 0);
      plan.splice(i + 1, 0, ...shards);
    }
  }
  if (!hasVocab && request.qformerVocab !== undefined) {
    const target = path.join(dest, QFORMER_TOKENIZER_FOLDER, "vocab.txt");
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(request.qformerVocab, target);
    written.push(path.relative(dest, target));
  }
  return written;
}

async function shardsOf(indexFile: string, index: PlannedFile, listing: readonly HubFile[]): Promise<PlannedFile[]> {
  const folder = path.posix.dirname(index.file.path);
  let weightMap: unknown;
  try {
    weightMap = (JSON.parse(await readFile(indexFile, "utf8")) as { weight_map?: unknown }).weight_map;
  } catch (error) {
    throw new HubDownloadError(index.repo, index.file.path, `is not JSON (${(error as Error).message})`);
  }
  if (typeof weightMap !== "object" || weightMap === null) {
    throw new HubDownloadError(index.repo, index.file.path, 'has no "weight_map"');
  }
  const names = [...new Set(Object.values(weightMap as Record<string, unknown>).map(String))];
  return names.map((name) => {
    const shardPath = folder === "." ? name : `${folder}/${name}`;
    const file = listing.find((f) => f.path === shardPath);
    if (!file || name.includes("/")) {
      throw new HubDownloadError(index.repo, shardPath, `named by ${index.file.path} but not in the repository`);
    }
    return { repo: index.repo, file, folder: index.folder };
  });
}
