/**
 * Downloads single files from a Hugging Face Hub repository with `@huggingface/hub`, resumable
 * and verified: bytes go to `<file>.part` and a new attempt asks the hub only for what is missing
 * (an HTTP Range, through the library's Blob.slice); a finished file is checked against the
 * hub's own checksum (an LFS file's sha256, a plain file's git blob sha1) before it takes its
 * name, so a file under its final name is always whole and right.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat, truncate } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { downloadFile, HUB_URL, listFiles } from "@huggingface/hub";

/** Where the hub is and who asks: `HF_ENDPOINT` and `HF_TOKEN`, as huggingface_hub reads them. */
export interface HubAccess {
  hubUrl: string;
  accessToken?: string;
  revision?: string;
  /** Attempts per file and run before giving up (each resumes where the last stopped); 5 by default. */
  attempts?: number;
  fetch?: typeof fetch;
}

/**
 * The hub settings from the environment: `HF_ENDPOINT` (a mirror, or a test server) and
 * `HF_TOKEN` (gated or private repositories).
 *
 * @example hubAccessFromEnv(process.env) // { hubUrl: "https://huggingface.co" }
 */
export function hubAccessFromEnv(env: NodeJS.ProcessEnv): HubAccess {
  const hubUrl = (env.HF_ENDPOINT || HUB_URL).replace(/\/+$/, "");
  return { hubUrl, ...(env.HF_TOKEN ? { accessToken: env.HF_TOKEN } : {}) };
}

/** A file of a hub repository with the checksum the hub publishes for it. */
export interface HubFile {
  path: string;
  size: number;
  /** sha256 of the content, for files stored with Git LFS. */
  sha256?: string;
  /** git blob sha1 (`sha1("blob <size>\0" + content)`), for files stored in git. */
  gitOid?: string;
}

/** A download that failed: names the repository and file, and says what to do. */
export class HubDownloadError extends Error {
  constructor(
    readonly repo: string,
    readonly file: string,
    message: string,
  ) {
    super(`${repo}/${file}: ${message}`);
    this.name = "HubDownloadError";
  }
}

/** Every file of a repository at a revision, with its checksum. */
export async function listHubFiles(repo: string, access: HubAccess): Promise<HubFile[]> {
  const files: HubFile[] = [];
  try {
    for await (const entry of listFiles({
      repo,
      recursive: true,
      revision: access.revision,
      hubUrl: access.hubUrl,
      accessToken: access.accessToken,
      fetch: access.fetch,
    })) {
      if (entry.type !== "file") continue;
      files.push({
        path: entry.path,
        size: entry.size,
        ...(entry.lfs ? { sha256: entry.lfs.oid } : entry.oid ? { gitOid: entry.oid } : {}),
      });
    }
  } catch (error) {
    throw new HubDownloadError(repo, "", `cannot list the repository on ${access.hubUrl}: ${(error as Error).message}`);
  }
  return files;
}

/** Where `file` goes under `dest`, refusing names that would land outside it. */
function targetPath(dest: string, repo: string, file: string): string {
  const target = path.resolve(dest, file);
  if (path.isAbsolute(file) || !target.startsWith(path.resolve(dest) + path.sep)) {
    throw new HubDownloadError(repo, file, "the hub listed a file outside the repository folder; refused");
  }
  return target;
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

/** The hex digest the hub publishes for this file, computed over a file on disk. */
async function checksumOf(file: string, expected: HubFile): Promise<{ kind: string; want: string; got: string }> {
  const hash = createHash(expected.sha256 ? "sha256" : "sha1");
  // A git blob id hashes a header before the content (git-hash-object).
  if (!expected.sha256) hash.update(`blob ${expected.size}\0`);
  await pipeline(createReadStream(file), hash);
  return {
    kind: expected.sha256 ? "sha256" : "git sha1",
    want: (expected.sha256 ?? expected.gitOid ?? "").toLowerCase(),
    got: hash.digest("hex"),
  };
}

/** Whether `file` is the hub's file (size and checksum); files without a published checksum need only their size. */
async function isVerified(file: string, expected: HubFile): Promise<boolean> {
  if ((await fileSize(file)) !== expected.size) return false;
  if (!expected.sha256 && !expected.gitOid) return true;
  const { want, got } = await checksumOf(file, expected);
  return want === got;
}

/**
 * Downloads one file to `<dest>/<file.path>`, resuming a `.part` left by an earlier attempt,
 * retrying a broken transfer from where it stopped, and verifying the checksum before the
 * file takes its name. A file already there and verified is not downloaded again.
 * `onBytes` is told of every chunk written (and of bytes already on disk, once).
 */
export async function downloadHubFile(
  repo: string,
  file: HubFile,
  dest: string,
  access: HubAccess,
  onBytes: (bytes: number) => void = () => {},
  signal?: AbortSignal,
): Promise<string> {
  const target = targetPath(dest, repo, file.path);
  if (await isVerified(target, file)) {
    onBytes(file.size);
    return target;
  }
  await mkdir(path.dirname(target), { recursive: true });
  const part = `${target}.part`;
  let have = (await fileSize(part)) ?? 0;
  if (have > file.size) {
    await truncate(part, 0);
    have = 0;
  }
  onBytes(have);
  const handle = await open(part, "a+");
  try {
    const attempts = access.attempts ?? 5;
    for (let attempt = 1; have < file.size; attempt++) {
      signal?.throwIfAborted();
      try {
        const blob = await downloadFile({
          repo,
          path: file.path,
          revision: access.revision,
          hubUrl: access.hubUrl,
          accessToken: access.accessToken,
          fetch: access.fetch,
        });
        if (!blob) throw new HubDownloadError(repo, file.path, "the hub has no such file");
        // Each chunk is written at its offset before the next is read, so `have` is always
        // exactly what is on disk, whenever the transfer breaks.
        const stream = Readable.fromWeb(blob.slice(have).stream() as WebReadableStream<Uint8Array>, { signal });
        for await (const chunk of stream as AsyncIterable<Uint8Array>) {
          const room = Math.min(chunk.length, file.size - have);
          await handle.write(chunk, 0, room, have);
          have += room;
          onBytes(room);
          if (room < chunk.length)
            throw new HubDownloadError(repo, file.path, `the hub sent more than ${file.size} bytes`);
        }
      } catch (error) {
        if (error instanceof HubDownloadError || signal?.aborted) throw error;
        if (attempt >= attempts) {
          throw new HubDownloadError(
            repo,
            file.path,
            `download interrupted at ${have} of ${file.size} bytes (${(error as Error).message}); run the command again to resume`,
          );
        }
      }
    }
  } finally {
    await handle.close();
  }
  const size = (await fileSize(part)) ?? 0;
  if (size !== file.size) {
    await rm(part, { force: true });
    throw new HubDownloadError(repo, file.path, `got ${size} bytes, the hub lists ${file.size}; removed, try again`);
  }
  if (file.sha256 || file.gitOid) {
    const { kind, want, got } = await checksumOf(part, file);
    if (want !== got) {
      await rm(part, { force: true });
      throw new HubDownloadError(
        repo,
        file.path,
        `checksum mismatch: the hub lists ${kind} ${want}, the download has ${got}; the corrupt download was removed`,
      );
    }
  }
  await rename(part, target);
  return target;
}
