/**
 * A diffusers folder dropped into the models folder (as ComfyUI users drop a checkpoint into
 * models/): it is listed as a pack "not imported yet" and imported on first use. Imports are
 * cached in `<models>/.imported/<name>-<key>/`, where the key is a hash of the source files
 * the import reads, so an edited or replaced checkpoint is imported again and an unchanged one
 * never is.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { chooseWeightFile } from "@infix/engine/runtime";
import { packContentHash, type FileDigestCache } from "./content-hash.ts";

/** Where imports of diffusers folders are cached, under the models folder (hidden, so never listed as a pack). */
export const IMPORTED_FOLDER = ".imported";
/** Sub-folders of a diffusers folder holding ControlNets (`controlnet-canny/`), imported with it. */
const CONTROLNET_PREFIX = "controlnet-";

/** Float precision of an imported pack's graphs: fp16 for GPUs. */
export type ImportPrecision = "fp32" | "fp16";

/** What an import reports as it goes (the importer's own events, passed through). */
export interface SourceImportProgress {
  readonly component: string;
  readonly index: number;
  readonly total: number;
  readonly state: "started" | "finished";
}

/**
 * Imports a diffusers folder into a new pack folder `out` (which must not exist); the weights
 * helper's `importDiffusersPack` in production.
 */
export type DiffusersImporter = (request: {
  source: string;
  out: string;
  precision: ImportPrecision;
  controlnets: { folder: string; name: string }[];
  onProgress?: (event: SourceImportProgress) => void;
  signal?: AbortSignal;
}) => Promise<unknown>;

/** Whether `dir` is a diffusers pipeline folder (model_index.json) rather than a pack (manifest.json). */
export function isDiffusersFolder(dir: string): boolean {
  return existsSync(path.join(dir, "model_index.json")) && !existsSync(path.join(dir, "manifest.json"));
}

async function filesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** A folder's configs and tokenizer files, and its weight file with any shards it names. */
async function componentFiles(source: string, folder: string): Promise<string[]> {
  const names = await filesIn(path.join(source, folder));
  const small = names.filter((n) => (n.endsWith(".json") && !n.endsWith(".index.json")) || n.endsWith(".txt"));
  const weight = chooseWeightFile(names);
  const files = [...small, ...(weight ? [weight] : [])];
  if (weight?.endsWith(".index.json")) {
    try {
      const index = JSON.parse(await readFile(path.join(source, folder, weight), "utf8")) as {
        weight_map?: Record<string, string>;
      };
      files.push(...new Set(Object.values(index.weight_map ?? {}).map(String)));
    } catch {
      // An unreadable index still counts by its own bytes; the import will name the problem.
    }
  }
  return files.map((file) => `${folder}/${file}`);
}

/** The ControlNet sub-folders of a diffusers folder, with the names they get in the pack. */
export async function controlnetFolders(source: string): Promise<{ folder: string; name: string }[]> {
  const entries = await readdir(source, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && e.name.startsWith(CONTROLNET_PREFIX))
    .filter((e) => existsSync(path.join(source, e.name, "config.json")))
    .map((e) => ({ folder: path.join(source, e.name), name: e.name.slice(CONTROLNET_PREFIX.length) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The files an import of `source` reads, relative to it, sorted: model_index.json, every
 * component's configs, tokenizer files and chosen weights, the ControlNets', the Q-Former vocabulary.
 */
export async function diffusersSourceFiles(source: string): Promise<string[]> {
  const modelIndex = JSON.parse(await readFile(path.join(source, "model_index.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const folders = Object.entries(modelIndex)
    .filter(([key, value]) => !key.startsWith("_") && Array.isArray(value) && typeof value[0] === "string")
    .map(([key]) => key);
  folders.push(...(await controlnetFolders(source)).map((c) => path.basename(c.folder)));
  if (existsSync(path.join(source, "qformer_tokenizer"))) folders.push("qformer_tokenizer");
  const files = ["model_index.json"];
  for (const folder of folders) files.push(...(await componentFiles(source, folder)));
  return [...new Set(files)].sort();
}

/**
 * The cache key of an import: the pack content hash (docs/model-pack.md) of the source files,
 * so it changes when any file the import reads changes. Digests are remembered by size and
 * mtime, so a multi-GB checkpoint is read in full once.
 */
export async function diffusersSourceKey(source: string, digests: FileDigestCache): Promise<string> {
  return (await packContentHash(source, await diffusersSourceFiles(source), digests)).hash;
}

/** The cache folder name of `name`'s imports at a precision, less the key: `<name>-` or `<name>-fp16-`. */
function importPrefix(name: string, precision: ImportPrecision): string {
  return precision === "fp32" ? `${name}-` : `${name}-${precision}-`;
}

/** Whether a cache folder entry is an import of `name` at `precision` (any key). */
function isImportOf(entry: string, name: string, precision: ImportPrecision): boolean {
  const prefix = importPrefix(name, precision);
  return entry.startsWith(prefix) && /^[0-9a-f]{16}$/.test(entry.slice(prefix.length));
}

/**
 * Where the import of `name` with this key lives: `<models>/.imported/<name>-<first 16 hex of
 * the key>`, or `<name>-fp16-<…>` for a float16 import.
 */
export function importedPackDir(
  modelsDir: string,
  name: string,
  key: string,
  precision: ImportPrecision = "fp32",
): string {
  return path.join(
    modelsDir,
    IMPORTED_FOLDER,
    importPrefix(name, precision) + key.replace(/^sha256:/, "").slice(0, 16),
  );
}

/** Whether some import of `name` at `precision` is cached (perhaps of older source files): cheap, no hashing. */
export async function hasCachedImport(
  modelsDir: string,
  name: string,
  precision: ImportPrecision = "fp32",
): Promise<boolean> {
  const cached = await readdir(path.join(modelsDir, IMPORTED_FOLDER)).catch(() => [] as string[]);
  return cached.some((entry) => isImportOf(entry, name, precision));
}

/**
 * The pack folder for a diffusers folder in the models folder, importing it first when no
 * import of its current files is cached. The import is written to a temporary folder and
 * renamed into place, and older imports of the same folder are then removed.
 */
export async function ensureImported(options: {
  source: string;
  modelsDir: string;
  name: string;
  digests: FileDigestCache;
  importer: DiffusersImporter;
  /** fp32 by default. */
  precision?: ImportPrecision;
  onProgress?: (event: SourceImportProgress) => void;
  signal?: AbortSignal;
}): Promise<string> {
  const { source, modelsDir, name } = options;
  const precision = options.precision ?? "fp32";
  const key = await diffusersSourceKey(source, options.digests);
  const dir = importedPackDir(modelsDir, name, key, precision);
  if (existsSync(path.join(dir, "manifest.json"))) return dir;
  await mkdir(path.dirname(dir), { recursive: true });
  const temporary = `${dir}.partial-${process.pid}-${Date.now()}`;
  try {
    await options.importer({
      source,
      out: temporary,
      precision,
      controlnets: await controlnetFolders(source),
      ...(options.onProgress && { onProgress: options.onProgress }),
      ...(options.signal && { signal: options.signal }),
    });
    await rm(dir, { recursive: true, force: true });
    await rename(temporary, dir);
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
  const imported = path.join(modelsDir, IMPORTED_FOLDER);
  for (const entry of await readdir(imported)) {
    const older = path.join(imported, entry);
    if (isImportOf(entry, name, precision) && older !== dir && (await stat(older)).isDirectory()) {
      await rm(older, { recursive: true, force: true });
    }
  }
  return dir;
}
