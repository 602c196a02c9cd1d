import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";

/**
 * Replaces `path` with `bytes` so that a reader (or a restart after a crash) sees either the
 * old file or the new one, never half of it: write a temp file beside it, fsync, rename.
 * rename(2) is atomic within one file system, which is why the temp file sits in the same folder.
 *
 * @example await writeFileAtomic("/data/workflows/a/3.json", JSON.stringify(workflow));
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const temp = tempPathBeside(path);
  const handle = await open(temp, "wx");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncFolder(dirname(path));
}

/** fsync on the folder makes the rename itself durable (POSIX keeps directory entries separately); best effort. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, "r");
    await handle.sync().finally(() => handle.close());
  } catch {
    // Some platforms cannot open or sync a folder; the rename is still atomic there.
  }
}

/** Synchronous twin of {@link writeFileAtomic}, for the queue journal's compaction (which must not interleave with appends). */
export function writeFileAtomicSync(path: string, bytes: Uint8Array | string): void {
  const temp = tempPathBeside(path);
  const fd = openSync(temp, "wx");
  try {
    writeSync(fd, typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // the temp file is already gone; nothing to clean
    }
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  try {
    const folder = openSync(dirname(path), "r");
    try {
      fsyncSync(folder);
    } finally {
      closeSync(folder);
    }
  } catch {
    // best effort, as in writeFileAtomic
  }
}

function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
}
