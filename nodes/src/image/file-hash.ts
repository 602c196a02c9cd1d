import { createHash } from "node:crypto";
import type { FileAccess } from "@infix/engine";

/** `sha256:<hex>` of some bytes: the identity of an input picture in cache keys and subject metadata. */
export function contentHash(bytes: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/**
 * Content hash of a file of the input folder, or a marker saying it is missing (so the cache
 * key still changes when it appears).
 */
export async function fileContentHash(files: Pick<FileAccess, "readInput">, name: string): Promise<string> {
  try {
    return contentHash(await files.readInput(name));
  } catch {
    return `missing:${name}`;
  }
}
