import { constants, lstatSync, realpathSync, type Stats } from "node:fs";
import { lstat, mkdir, open, readlink, realpath, type FileHandle } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { writeFileAtomic } from "./atomic-write.ts";

/**
 * Traversal-safe path handling for every folder the server reads or writes (input, output,
 * temp, saved workflows, examples, the built editor), shared by the routes and the nodes.
 *
 * Links are never followed below a folder's root: a name is split lexically (no `..`, not
 * absolute), every component is checked with lstat (a symlink anywhere is refused), the
 * last one is opened with O_NOFOLLOW, and the opened descriptor is compared with the path
 * afterwards (same device and inode, and on Linux /proc/self/fd says where it really lies),
 * so swapping a folder for a symlink between the check and the open is caught. Files with
 * more than one hard link are refused too: a hard link to a file outside looks like an
 * ordinary file. The root itself may be a symlink (an operator's choice of data folder).
 */

/**
 * Why a name was refused: `invalid` names are malformed, `outside` ones escape the folder
 * (links included), `missing` ones do not exist, `not_file` ones are folders, devices or pipes.
 */
export type PathRefusal = { reason: "invalid" | "outside" | "missing" | "not_file"; message: string };
export type SafePath = { ok: true; path: string } | ({ ok: false } & PathRefusal);

/**
 * Checks a `/`-separated name relative to a folder and returns its clean segments.
 * Refuses empty names, NUL bytes, backslashes, absolute paths and any `..` segment.
 *
 * @example splitSafeName("a/./b.png") // → { ok: true, segments: ["a", "b.png"] }
 */
export function splitSafeName(name: string): { ok: true; segments: string[] } | ({ ok: false } & PathRefusal) {
  if (typeof name !== "string" || name.length === 0 || name.length > 1024)
    return invalid("the file name is empty or too long");
  if (name.includes("\0")) return invalid("the file name contains a NUL byte");
  // Backslashes are separators on Windows; refusing them keeps names portable and unambiguous.
  if (name.includes("\\")) return invalid("use / to separate folders in file names");
  if (name.startsWith("/") || isAbsolute(name) || /^[A-Za-z]:/.test(name)) {
    return { ok: false, reason: "outside", message: "absolute paths are not allowed; give a name inside the folder" };
  }
  const segments = name.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.some((segment) => segment === "..")) {
    return { ok: false, reason: "outside", message: "'..' is not allowed in file names" };
  }
  if (segments.length === 0) return invalid("the file name is empty");
  return { ok: true, segments };
}

/** True when `candidate` (absolute) is `root` itself or lies inside it. */
function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** An opened file inside a folder: the handle (the caller closes it), its stats, its checked path. */
export interface OpenedInside {
  handle: FileHandle;
  stats: Stats;
  path: string;
}
export type OpenInside = { ok: true; file: OpenedInside } | ({ ok: false } & PathRefusal);

/**
 * Opens an existing regular file `name` inside `root` for reading without following any
 * link below `root`, and refuses hard-linked files. The caller closes `file.handle`.
 *
 * @example const opened = await openInside("/data/input", "cat.png"); if (opened.ok) await opened.file.handle.close();
 */
export async function openInside(root: string, name: string): Promise<OpenInside> {
  const split = splitSafeName(name);
  if (!split.ok) return split;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return missing(name);
  }
  const path = join(realRoot, ...split.segments);
  const before = await checkComponents(realRoot, split.segments, name);
  if (before) return before;
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a named pipe must not hang the request; fstat refuses it just below.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "ENOTDIR") return linkRefusal(name);
    if (code === "EISDIR") return notFile(name);
    return missing(name);
  }
  const refusal = await verifyOpened(handle, realRoot, split.segments, path, name);
  if (refusal) {
    await handle.close().catch(() => undefined);
    return refusal;
  }
  return { ok: true, file: { handle, stats: await handle.stat(), path } };
}

/**
 * Reads a whole file through {@link openInside}; refuses files larger than `maxBytes`.
 *
 * @example const read = await readInside(inputDir, "cat.png", 64 << 20); if (read.ok) decode(read.bytes);
 */
export async function readInside(
  root: string,
  name: string,
  maxBytes = Number.MAX_SAFE_INTEGER,
): Promise<{ ok: true; bytes: Uint8Array } | ({ ok: false } & PathRefusal)> {
  const opened = await openInside(root, name);
  if (!opened.ok) return opened;
  const { handle, stats } = opened.file;
  try {
    if (stats.size > maxBytes) {
      return { ok: false, reason: "invalid", message: `'${name}' is larger than ${maxBytes} bytes` };
    }
    return { ok: true, bytes: new Uint8Array(await handle.readFile()) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Makes sure the folder `dir` (a `/`-separated name, "" for `root` itself) exists inside
 * `root` as real folders, creating missing ones, and refuses when any component is a link
 * or not a folder. Returns the folder's absolute path. Used before every write, so nothing
 * is ever written through a link placed in a served folder.
 */
export async function ensureFolderInside(
  root: string,
  dir: string,
): Promise<{ ok: true; path: string } | ({ ok: false } & PathRefusal)> {
  await mkdir(root, { recursive: true });
  const realRoot = await realpath(root);
  const split = dir === "" ? { ok: true as const, segments: [] } : splitSafeName(dir);
  if (!split.ok) return split;
  let current = realRoot;
  for (const segment of split.segments) {
    current = join(current, segment);
    let info = await lstat(current).catch(() => null);
    if (!info) {
      await mkdir(current).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      });
      info = await lstat(current);
    }
    if (info.isSymbolicLink()) return linkRefusal(dir);
    if (!info.isDirectory()) return { ok: false, reason: "not_file", message: `'${dir}' is not a folder` };
  }
  return { ok: true, path: current };
}

/**
 * Replaces the file `name` inside `root` atomically (temp file, fsync, rename) without writing
 * through a link: every folder on the way must be a real folder, and a link already at `name`
 * is replaced by the new file, never followed to the file it points to. For files the server
 * writes on its own (the example pictures at start, the pack digest cache).
 *
 * @example await writeFileInside(dataDir, "pack-digests.json", JSON.stringify(digests));
 */
export async function writeFileInside(root: string, name: string, bytes: Uint8Array | string): Promise<void> {
  const split = splitSafeName(name);
  if (!split.ok) throw new Error(`cannot write '${name}': ${split.message}`);
  const folder = await ensureFolderInside(root, split.segments.slice(0, -1).join("/"));
  if (!folder.ok) throw new Error(`cannot write '${name}': ${folder.message}`);
  await writeFileAtomic(join(folder.path, split.segments[split.segments.length - 1]), bytes);
}

/**
 * Checks that `path`, once written (a temp file linked or renamed into place), is the file we
 * wrote and lies inside `root` without links: a folder swapped for a symlink while we wrote
 * is caught here and the caller removes the file.
 */
export async function verifyWrittenInside(root: string, path: string, written: Stats): Promise<boolean> {
  const realRoot = await realpath(root);
  const rel = relative(realRoot, path);
  if (rel === "" || !isInside(realRoot, path)) return false;
  const segments = rel.split(sep);
  if (await checkComponents(realRoot, segments, rel)) return false;
  const info = await lstat(path).catch(() => null);
  return info !== null && info.isFile() && info.ino === written.ino && info.dev === written.dev;
}

/**
 * Synchronous check that `name` lies inside `root` without any link on the way (a missing
 * tail is fine: the name may be about to be written). Backs FileAccess, whose resolve
 * methods are synchronous; nodes then open the path, so this check is re-done by openInside
 * wherever the bytes are read (FileAccess.readInput).
 */
export function resolveInsideSync(root: string, name: string): SafePath {
  const split = splitSafeName(name);
  if (!split.ok) return split;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return { ok: false, reason: "missing", message: "the folder does not exist" };
  }
  let current = realRoot;
  for (let i = 0; i < split.segments.length; i++) {
    current = join(current, split.segments[i]);
    let info: Stats;
    try {
      info = lstatSync(current);
    } catch {
      return { ok: true, path: join(realRoot, ...split.segments) };
    }
    if (info.isSymbolicLink()) return linkRefusal(name);
    if (i < split.segments.length - 1 && !info.isDirectory()) return missing(name);
    if (i === split.segments.length - 1 && info.isFile() && info.nlink > 1) return hardLinkRefusal(name);
  }
  return { ok: true, path: current };
}

/** lstat of every component below `realRoot`: folders must be real folders, never links. */
async function checkComponents(
  realRoot: string,
  segments: string[],
  name: string,
): Promise<({ ok: false } & PathRefusal) | null> {
  let current = realRoot;
  for (let i = 0; i < segments.length; i++) {
    current = join(current, segments[i]);
    const info = await lstat(current).catch(() => null);
    if (!info) return missing(name);
    if (info.isSymbolicLink()) return linkRefusal(name);
    if (i < segments.length - 1 && !info.isDirectory()) return missing(name);
  }
  return null;
}

/** After open: a regular file with one link, reached by the checked path, really inside the root. */
async function verifyOpened(
  handle: FileHandle,
  realRoot: string,
  segments: string[],
  path: string,
  name: string,
): Promise<({ ok: false } & PathRefusal) | null> {
  const opened = await handle.stat();
  if (!opened.isFile()) return notFile(name);
  if (opened.nlink > 1) return hardLinkRefusal(name);
  // A folder swapped for a link between the checks and the open: check again, then compare
  // the descriptor with what the path names now.
  const after = await checkComponents(realRoot, segments, name);
  if (after) return after;
  const named = await lstat(path).catch(() => null);
  if (!named || named.ino !== opened.ino || named.dev !== opened.dev) return linkRefusal(name);
  const where = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
  if (where !== null && where.startsWith("/") && !isInside(realRoot, where)) return linkRefusal(name);
  return null;
}

function missing(name: string): { ok: false } & PathRefusal {
  return { ok: false, reason: "missing", message: `no file named '${name}'` };
}

function notFile(name: string): { ok: false } & PathRefusal {
  return { ok: false, reason: "not_file", message: `'${name}' is not a file` };
}

function linkRefusal(name: string): { ok: false } & PathRefusal {
  return { ok: false, reason: "outside", message: `'${name}' goes through a symbolic link, which is not followed` };
}

function hardLinkRefusal(name: string): { ok: false } & PathRefusal {
  return {
    ok: false,
    reason: "outside",
    message: `'${name}' has more than one hard link, so it may be a file from outside the folder; copy it in instead`,
  };
}

function invalid(message: string): { ok: false } & PathRefusal {
  return { ok: false, reason: "invalid", message };
}
