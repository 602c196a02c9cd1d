import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * A disk budget for one folder (the input folder's uploads): how many bytes it may hold.
 * The folder's size is measured once by walking it (links are not followed) and then kept
 * up to date by the writes that go through `reserve`; when a write would go over, the folder
 * is measured again first (files may have been deleted by hand since), at most every few seconds.
 */
export class FolderBudget {
  private used: number | undefined;
  private measuredAt = 0;

  /**
   * @param root the folder
   * @param budgetBytes the most bytes the folder may hold
   */
  constructor(
    private readonly root: string,
    readonly budgetBytes: number,
  ) {}

  /**
   * Counts `bytes` against the budget; returns why they do not fit, or null (then counted).
   *
   * @example const refusal = await budget.reserve(upload.byteLength); if (refusal) return sendError(res, 413, refusal);
   */
  async reserve(bytes: number): Promise<string | null> {
    if (this.used === undefined || (this.used + bytes > this.budgetBytes && Date.now() - this.measuredAt > 2_000)) {
      this.used = await folderBytes(this.root);
      this.measuredAt = Date.now();
    }
    if (this.used + bytes > this.budgetBytes) {
      return `the input folder holds ${this.used} bytes and may hold ${this.budgetBytes}; delete some uploads first`;
    }
    this.used += bytes;
    return null;
  }

  /** Gives back bytes reserved for a write that did not happen. */
  release(bytes: number): void {
    if (this.used !== undefined) this.used = Math.max(0, this.used - bytes);
  }
}

/** Bytes of the regular files under `root`, not following links. */
async function folderBytes(root: string): Promise<number> {
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) total += (await lstat(path).catch(() => null))?.size ?? 0;
    }
  }
  return total;
}
