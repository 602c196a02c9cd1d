import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { writeFileInside } from "@infix/engine";

/**
 * A pack's content hash: sha256 over the names and sha256 digests of its files. Each file's
 * digest is remembered by path, size and modification time, in memory and optionally in a
 * JSON file, so a multi-GB pack is read in full once, not on every start.
 */

interface CachedDigest {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export class FileDigestCache {
  private readonly entries = new Map<string, CachedDigest>();
  private loaded = false;
  private dirty = false;

  /** @param file where to keep digests between runs; memory only when absent */
  constructor(private readonly file?: string) {}

  /** The sha256 (hex) of a file, recomputed only when its size or mtime changed. */
  async digest(path: string): Promise<{ sha256: string; size: number }> {
    await this.load();
    const info = await stat(path);
    const cached = this.entries.get(path);
    if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs)
      return { sha256: cached.sha256, size: info.size };
    const sha256 = await hashFile(path);
    this.entries.set(path, { size: info.size, mtimeMs: info.mtimeMs, sha256 });
    this.dirty = true;
    return { sha256, size: info.size };
  }

  /** Writes new digests to the cache file; failures are ignored (the cache is only a speed-up). */
  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    try {
      // Atomic, and a link placed at the file's name is replaced rather than written through.
      await writeFileInside(dirname(this.file), basename(this.file), JSON.stringify(Object.fromEntries(this.entries)));
      this.dirty = false;
    } catch {
      // A read-only models folder just means hashing again next start.
    }
  }

  private async load(): Promise<void> {
    if (this.loaded || !this.file) return;
    this.loaded = true;
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, "utf8"));
      if (!parsed || typeof parsed !== "object") return;
      for (const [path, value] of Object.entries(parsed as Record<string, unknown>)) {
        const entry = value as Partial<CachedDigest>;
        if (typeof entry.size === "number" && typeof entry.mtimeMs === "number" && typeof entry.sha256 === "string") {
          this.entries.set(path, { size: entry.size, mtimeMs: entry.mtimeMs, sha256: entry.sha256 });
        }
      }
    } catch {
      // Missing or unreadable cache: start empty.
    }
  }
}

/** Streams a file through sha256. */
export function hashFile(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolvePromise(hash.digest("hex")));
  });
}

/**
 * `sha256:<hex>` over `<relative path>\0<file sha256>\n` for each file, sorted by path, and
 * the total size of the files.
 */
export async function packContentHash(
  dir: string,
  relativeFiles: readonly string[],
  cache: FileDigestCache,
): Promise<{ hash: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for (const file of [...new Set(relativeFiles)].sort()) {
    const digest = await cache.digest(join(dir, file));
    bytes += digest.size;
    hash.update(`${file}\0${digest.sha256}\n`);
  }
  await cache.save();
  return { hash: `sha256:${hash.digest("hex")}`, bytes };
}
