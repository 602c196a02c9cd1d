import { lstat, readdir, rm, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { resourceKey } from "@infix/engine";
import { SessionPool } from "@infix/engine/runtime";
import { FileDigestCache } from "./content-hash.ts";
import {
  controlnetFolders,
  ensureImported,
  hasCachedImport,
  isDiffusersFolder,
  type DiffusersImporter,
  type ImportPrecision,
  type SourceImportProgress,
} from "./diffusers-source.ts";
import { loadPack } from "./loader.ts";
import { ensureTinyPack, TINY_PACK_ID } from "./tiny/index.ts";
import type { ModelPack } from "./types.ts";

/**
 * The packs a server offers: every folder with a manifest.json under the models folder,
 * every diffusers folder (model_index.json) there, imported on first use (diffusers-source.ts),
 * plus the embedded tiny pack (id `tiny`). Each pack is loaded once and shared; a pack that
 * fails to load is listed with its error instead of taking the server down.
 */

/** A pack as the registry lists it; package-info.ts turns it into the engine's generic resource. */
export interface PackListing {
  name: string;
  /** Folder name under the models folder, or `tiny` for the embedded pack. */
  id: string;
  bytes: number;
  embedded: boolean;
  controlnets: string[];
  attentionControl: boolean;
  source?: string;
  /** Why the pack cannot be used, when it failed to load. */
  error?: string;
  /** A diffusers folder with no import cached yet: the first run that uses it imports it (minutes for the released model). */
  needsImport?: boolean;
}

interface PackFolder {
  dir: string;
  embedded: boolean;
  /** A diffusers folder, imported on first use, rather than a pack. */
  diffusers?: boolean;
}

export { TINY_PACK_ID };

export interface PackRegistryOptions {
  /** Folder holding one folder per pack; `INFIX_MODELS` from the environment when absent. */
  modelsDir?: string;
  /** Makes (or finds) the embedded tiny pack and returns its folder; `ensureTinyPack` by default, `false` for none. */
  tinyPackDir?: (() => Promise<string>) | false;
  /** Shared by every pack, so one memory budget covers all their sessions. */
  pool?: SessionPool;
  /** Where file digests are remembered between runs (a JSON file); memory only when absent. */
  digestCacheFile?: string;
  /** Imports diffusers folders found in the models folder; without it they are listed but cannot load. */
  importDiffusers?: DiffusersImporter;
  /** Precision of the packs imported from diffusers folders: fp16 for a GPU; fp32 by default. */
  importPrecision?: ImportPrecision;
  /** Told of each component an import of a diffusers folder starts and finishes. */
  onImportProgress?: (id: string, event: SourceImportProgress) => void;
}

export class UnknownPackError extends Error {
  override readonly name = "UnknownPackError";
  constructor(
    readonly id: string,
    readonly known: readonly string[],
  ) {
    super(
      `no model pack '${id}'; available: ${known.join(", ") || "none"}. Put pack folders under the models folder (INFIX_MODELS).`,
    );
  }
}

export class PackRegistry {
  readonly modelsDir: string | undefined;
  readonly pool: SessionPool;
  private readonly digestCache: FileDigestCache;
  private readonly loads = new Map<string, Promise<ModelPack>>();
  /** What each pack's folder looked like when its load started (names, sizes, mtimes, inodes). */
  private readonly fingerprints = new Map<string, string>();
  private readonly failedLoads = new WeakSet<Promise<ModelPack>>();
  /** Per pack id, the callers of `get` waiting on its import. */
  private readonly importListeners = new Map<string, Set<(event: SourceImportProgress) => void>>();
  private folders?: Promise<Map<string, PackFolder>>;
  /** Folders found but not usable under their name, listed with the reason. */
  private shadowed: PackListing[] = [];

  constructor(private readonly options: PackRegistryOptions = {}) {
    const fromEnv = process.env.INFIX_MODELS;
    this.modelsDir = options.modelsDir ?? (fromEnv ? fromEnv : undefined);
    this.pool = options.pool ?? new SessionPool();
    this.digestCache = new FileDigestCache(options.digestCacheFile);
  }

  /**
   * Every pack with its capabilities, the embedded one first; packs that fail to load carry
   * `error`. Loads (and caches) each pack to learn them.
   *
   * @example
   * for (const pack of await registry.list()) console.log(pack.id, pack.error ?? "ok");
   */
  async list(): Promise<PackListing[]> {
    const folders = await this.scan();
    const listings: PackListing[] = [];
    for (const [id, { dir, embedded, diffusers }] of folders) {
      if (diffusers && (await this.needsImport(id))) {
        // Listing must stay cheap: importing happens on first use, not here.
        listings.push({
          name: id,
          id,
          bytes: 0,
          embedded: false,
          controlnets: (await controlnetFolders(dir)).map((c) => c.name),
          attentionControl: true,
          source: `diffusers folder ${dir}, not imported yet`,
          needsImport: true,
        });
        continue;
      }
      try {
        listings.push(listingOf(await this.get(id)));
      } catch (error) {
        listings.push({
          name: id,
          id,
          bytes: 0,
          embedded,
          controlnets: [],
          attentionControl: false,
          error: (error as Error).message,
        });
      }
    }
    return [...listings, ...this.shadowed];
  }

  /**
   * The pack with this id, loaded once and re-loaded when its folder changes on disk (a file
   * replaced, removed or corrupted: its sessions are dropped, and the next load reports what is
   * wrong); rejects with PackLoadError or UnknownPackError. A broken embedded pack is regenerated.
   * A diffusers folder is imported first when needed; `onImportProgress` hears that import's
   * events (every caller waiting on it does, whoever started it).
   */
  async get(
    id: string,
    options: { onImportProgress?: (event: SourceImportProgress) => void } = {},
  ): Promise<ModelPack> {
    const listener = options.onImportProgress;
    const listeners = this.importListeners.get(id) ?? new Set();
    if (listener) this.importListeners.set(id, listeners.add(listener));
    try {
      return await this.load(id);
    } finally {
      if (listener) listeners.delete(listener);
    }
  }

  /**
   * Whether using this pack would start an import (a diffusers folder with no import cached),
   * answered without hashing or importing anything.
   */
  async needsImport(id: string): Promise<boolean> {
    const folder = (await this.scan()).get(id);
    return (
      !!folder?.diffusers &&
      !this.loads.has(id) &&
      !(await hasCachedImport(this.modelsDir!, id, this.options.importPrecision))
    );
  }

  private async load(id: string): Promise<ModelPack> {
    const cached = this.loads.get(id);
    if (cached) {
      const folder = (await this.scan()).get(id);
      const now = folder ? await folderFingerprint(folder.dir) : "";
      if (now === this.fingerprints.get(id)) return cached;
      await this.forget(id, folder);
    }
    const folders = await this.scan();
    const folder = folders.get(id);
    if (!folder) throw new UnknownPackError(id, [...folders.keys()]);
    // Another caller may have started the same load while we scanned.
    const again = this.loads.get(id);
    if (again) return again;
    const fingerprint = folderFingerprint(folder.dir);
    const load = fingerprint.then(async (before) => {
      this.fingerprints.set(id, before);
      try {
        const dir = folder.diffusers ? await this.importDiffusersFolder(id, folder.dir) : folder.dir;
        return await loadPack(dir, {
          id,
          embedded: folder.embedded,
          pool: this.pool,
          digestCache: this.digestCache,
        });
      } catch (error) {
        if (!folder.embedded || this.tinyRegenerated) throw error;
        // The embedded pack is ours: a broken one (a file deleted or corrupted) is rebuilt once.
        this.tinyRegenerated = true;
        await rm(folder.dir, { recursive: true, force: true });
        this.loads.delete(id);
        this.folders = undefined;
        return this.load(id);
      }
    });
    this.loads.set(id, load);
    load.catch(() => this.failedLoads.add(load));
    return load;
  }

  private tinyRegenerated = false;

  /** Drops a pack whose folder changed: its load, its sessions, and the folder scan. */
  private async forget(id: string, folder: { dir: string; embedded: boolean } | undefined): Promise<void> {
    this.loads.delete(id);
    this.fingerprints.delete(id);
    this.folders = undefined;
    this.tinyRegenerated = false;
    if (folder) await this.pool.dropUnder(folder.dir);
  }

  /** Forgets the folder scan and failed loads, so added or repaired packs are seen. */
  refresh(): void {
    this.folders = undefined;
    for (const [id, load] of this.loads) {
      if (this.failedLoads.has(load)) this.loads.delete(id);
    }
  }

  /** The pack folder of a diffusers folder's import, importing it when its files changed or it never was. */
  private async importDiffusersFolder(id: string, source: string): Promise<string> {
    // A cached import is used even by a process that cannot import.
    const importer =
      this.options.importDiffusers ??
      (() =>
        Promise.reject(
          new Error(
            `${source} is a diffusers folder that is not imported yet, and this process cannot import; run \`infix pack import ${source}\``,
          ),
        ));
    const onProgress = this.options.onImportProgress;
    return ensureImported({
      source,
      modelsDir: this.modelsDir!,
      name: id,
      digests: this.digestCache,
      importer,
      ...(this.options.importPrecision && { precision: this.options.importPrecision }),
      onProgress: (event: SourceImportProgress) => {
        onProgress?.(id, event);
        for (const listener of this.importListeners.get(id) ?? []) listener(event);
      },
    });
  }

  private scan(): Promise<Map<string, PackFolder>> {
    this.folders ??= this.scanFolders();
    return this.folders;
  }

  private async scanFolders(): Promise<Map<string, PackFolder>> {
    const folders = new Map<string, PackFolder>();
    this.shadowed = [];
    const tinyPackDir = this.options.tinyPackDir ?? (() => ensureTinyPack());
    if (tinyPackDir) folders.set(TINY_PACK_ID, { dir: await tinyPackDir(), embedded: true });
    if (!this.modelsDir) return folders;
    let entries: string[];
    try {
      entries = (await readdir(this.modelsDir)).sort();
    } catch {
      return folders; // No models folder yet: only the embedded pack.
    }
    for (const name of entries) {
      const dir = resolve(join(this.modelsDir, name));
      const diffusers = !name.startsWith(".") && isDiffusersFolder(dir);
      if (!diffusers && !(await isFile(join(dir, "manifest.json")))) continue;
      if (folders.has(name)) {
        // A models folder named like the embedded pack cannot take its id.
        this.shadowed.push({
          name,
          id: name,
          bytes: 0,
          embedded: false,
          controlnets: [],
          attentionControl: false,
          error: `the folder '${basename(dir)}' has the embedded pack's id '${name}'; rename the folder to use it`,
        });
        continue;
      }
      folders.set(name, { dir, embedded: false, ...(diffusers && { diffusers }) });
    }
    return folders;
  }
}

/** The key nodes use to fetch the registry: `ctx.resources.get(PACKS)`. */
export const PACKS = resourceKey<PackRegistry>("packs");

function listingOf(pack: ModelPack): PackListing {
  const { manifest } = pack;
  return {
    name: manifest.name,
    id: pack.id,
    bytes: pack.diskBytes,
    embedded: pack.embedded,
    controlnets: manifest.controlnets.map((c) => c.name),
    attentionControl: manifest.unet.attention_control,
    ...(manifest.source !== undefined && { source: manifest.source }),
  };
}

/**
 * Names, sizes, mtimes and inodes of every file under a pack folder (a few dozen stat calls),
 * so a replaced, removed or rewritten file is noticed without hashing gigabytes again.
 * "" when the folder is gone.
 */
async function folderFingerprint(dir: string): Promise<string> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return "";
  }
  const lines: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const info = await lstat(path).catch(() => null);
    if (info) lines.push(`${path}:${info.size}:${info.mtimeMs}:${info.ino}`);
  }
  return lines.sort().join("\n");
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
