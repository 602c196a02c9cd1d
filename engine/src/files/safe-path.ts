import { realpathSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";

/**
 * Traversal-safe path resolution for the server's file folders. Two checks, because either
 * alone is not enough: a lexical one (no `..`, not absolute) rejects the obvious escapes
 * before touching the disk, and a real-path one (fs.realpath on both sides) rejects a
 * symlink inside the folder that points outside it.
 */

/** Why a name was refused: `invalid` names are malformed, `outside` ones escape the folder, `missing` ones do not exist. */
export type PathRefusal = { reason: "invalid" | "outside" | "missing"; message: string };
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
export function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Resolves `name` inside `root` lexically (the file need not exist), refusing escapes.
 * Use it for names about to be written; use {@link resolveExistingInside} for reads.
 */
export function resolveInsideLexically(root: string, name: string): SafePath {
  const split = splitSafeName(name);
  if (!split.ok) return split;
  const path = resolve(root, ...split.segments);
  if (!isInside(resolve(root), path))
    return { ok: false, reason: "outside", message: "the name points outside the folder" };
  return { ok: true, path };
}

/**
 * Resolves an existing file inside `root` following symlinks, and refuses it when its real
 * path lies outside the real path of `root` (a symlink pointing out of the folder).
 *
 * @example await resolveExistingInside("/data/input", "cat.png") // → { ok: true, path: "/data/input/cat.png" }
 */
export async function resolveExistingInside(root: string, name: string): Promise<SafePath> {
  const lexical = resolveInsideLexically(root, name);
  if (!lexical.ok) return lexical;
  let realRoot: string;
  let realFile: string;
  try {
    realRoot = await realpath(root);
    realFile = await realpath(lexical.path);
  } catch {
    return { ok: false, reason: "missing", message: `no file named '${name}'` };
  }
  if (!isInside(realRoot, realFile))
    return { ok: false, reason: "outside", message: "the file lies outside the folder" };
  return { ok: true, path: realFile };
}

/**
 * Synchronous form of {@link resolveExistingInside} that also accepts names that do not exist
 * yet (then only the deepest existing ancestor is checked through realpath). Backs FileAccess,
 * whose resolve methods are synchronous.
 */
export function resolveInsideSync(root: string, name: string): SafePath {
  const lexical = resolveInsideLexically(root, name);
  if (!lexical.ok) return lexical;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return { ok: false, reason: "missing", message: `the folder ${root} does not exist` };
  }
  // Walk up to the deepest part of the path that exists and check where it really lies.
  let probe = lexical.path;
  for (;;) {
    try {
      const real = realpathSync(probe);
      if (!isInside(realRoot, real))
        return { ok: false, reason: "outside", message: "the name points outside the folder" };
      return { ok: true, path: probe === lexical.path ? real : lexical.path };
    } catch {
      const parent = resolve(probe, "..");
      if (parent === probe) return { ok: true, path: lexical.path };
      probe = parent;
    }
  }
}

function invalid(message: string): { ok: false } & PathRefusal {
  return { ok: false, reason: "invalid", message };
}
