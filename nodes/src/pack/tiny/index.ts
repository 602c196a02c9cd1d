import { createHash, randomBytes } from "node:crypto";
import { access, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { configFor, type TinyPackSize } from "./config.ts";
import { writeTinyPack } from "./write-pack.ts";

/**
 * The generated model packs: BLIP-Diffusion's architectures at toy ("tiny", for tests) and
 * small ("small", for benchmarks) sizes with seeded random weights, following MODEL_PACK.md.
 * They are built on first use and cached on disk under a hash of their generator's source,
 * so a code change yields a fresh pack and an unchanged generator reuses the cached one.
 */

export const TINY_PACK_ID = "tiny";
export type { TinyPackSize } from "./config.ts";

export interface EnsureTinyPackOptions {
  readonly size?: TinyPackSize;
  /** Folder holding generated packs; default `<repo>/.cache/packs`. */
  readonly cacheDir?: string;
}

/**
 * The repository root: the nearest folder above this module holding the generator's sources.
 * Found by looking, not by a fixed `../../../..`, because the compiled CLI (dist/cli) runs this
 * code from another depth while the sources it hashes stay where they are.
 */
function findRepoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "nodes", "src", "pack", "tiny", "config.ts"))) return dir;
    if (dirname(dir) === dir)
      throw new Error(`the tiny pack's sources (nodes/src/pack/tiny) are not above ${import.meta.url}`);
  }
}

const repoRoot = findRepoRoot();
const here = join(repoRoot, "nodes", "src", "pack", "tiny");
const builderDir = join(repoRoot, "engine", "src", "runtime", "onnx-builder");

/** sha256 over the generator's sources (this folder and the graph builder, tests excluded). */
async function generatorHash(size: TinyPackSize): Promise<string> {
  const hash = createHash("sha256").update(`size=${size}\n`);
  for (const dir of [here, builderDir]) {
    const files = (await readdir(dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).sort();
    for (const file of files) hash.update(`${file}\n`).update(await readFile(join(dir, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Temporary folders older than this are left over from a crashed writer. */
const STALE_TEMP_MS = 10 * 60 * 1000;

async function removeStaleTemporaryFolders(cacheDir: string): Promise<void> {
  for (const entry of await readdir(cacheDir)) {
    if (!entry.startsWith(".tmp-")) continue;
    const path = join(cacheDir, entry);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > STALE_TEMP_MS) await rm(path, { recursive: true, force: true });
  }
}

const pending = new Map<string, Promise<string>>();

/**
 * Returns the folder of a complete generated pack, building it if the cache lacks one.
 * A pack is written into a temporary sibling folder and renamed into place in one step,
 * so concurrent test workers and crashes never leave a half-written pack behind.
 *
 * @example
 * const dir = await ensureTinyPack();               // <repo>/.cache/packs/tiny-<hash>
 * const small = await ensureTinyPack({ size: "small" });
 */
export async function ensureTinyPack(options: EnsureTinyPackOptions = {}): Promise<string> {
  const size = options.size ?? "tiny";
  const cacheDir = options.cacheDir ?? join(repoRoot, ".cache", "packs");
  const finalDir = join(cacheDir, `${size}-${await generatorHash(size)}`);
  const inFlight = pending.get(finalDir);
  if (inFlight) return inFlight;
  const job = (async () => {
    if (await exists(join(finalDir, "manifest.json"))) return finalDir;
    await mkdir(cacheDir, { recursive: true });
    await removeStaleTemporaryFolders(cacheDir);
    // A folder without its manifest is not a pack (the manifest is written last); replace it.
    // (Checked again here: another process may have just renamed a complete pack into place.)
    if ((await exists(finalDir)) && !(await exists(join(finalDir, "manifest.json"))))
      await rm(finalDir, { recursive: true, force: true });
    const tempDir = join(cacheDir, `.tmp-${size}-${process.pid}-${randomBytes(4).toString("hex")}`);
    try {
      await writeTinyPack(configFor(size), tempDir);
      await rename(tempDir, finalDir);
    } catch (error) {
      await rm(tempDir, { recursive: true, force: true });
      // Another process won the race: its pack is identical, use it.
      if (await exists(join(finalDir, "manifest.json"))) return finalDir;
      throw error;
    }
    return finalDir;
  })();
  pending.set(finalDir, job);
  try {
    return await job;
  } finally {
    pending.delete(finalDir);
  }
}
