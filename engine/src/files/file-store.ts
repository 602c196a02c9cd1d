import { randomBytes } from "node:crypto";
import { link, mkdir, open, realpath, unlink } from "node:fs/promises";
import { dirname, extname, join, relative, sep } from "node:path";
import { InfixError } from "../graph/problem.ts";
import type { FileAccess, FileRef } from "../nodes/definition.ts";
import {
  isInside,
  resolveExistingInside,
  resolveInsideLexically,
  resolveInsideSync,
  type SafePath,
} from "./safe-path.ts";

export type FolderName = FileRef["folder"];
export const FOLDER_NAMES: readonly FolderName[] = ["input", "output", "temp"];

/** Absolute paths of the three folders the server serves and nodes use. */
export type FileFolders = Record<FolderName, string>;

/**
 * The server's file folders (input: uploads; output: saved images; temp: previews and
 * intermediate pictures), with traversal-safe reads and non-clashing atomic writes.
 */
export class FileStore {
  readonly folders: Readonly<FileFolders>;

  private constructor(folders: FileFolders) {
    this.folders = folders;
  }

  /** Creates the folders when missing and returns a store over them. */
  static async open(folders: FileFolders): Promise<FileStore> {
    for (const folder of FOLDER_NAMES) await mkdir(folders[folder], { recursive: true });
    return new FileStore({ ...folders });
  }

  /** The folders under one data folder: `<dataDir>/input`, `<dataDir>/output`, `<dataDir>/temp`. */
  static foldersUnder(dataDir: string, overrides: Partial<FileFolders> = {}): FileFolders {
    return {
      input: overrides.input ?? join(dataDir, "input"),
      output: overrides.output ?? join(dataDir, "output"),
      temp: overrides.temp ?? join(dataDir, "temp"),
    };
  }

  /** Resolves an existing file for reading; refuses names that escape the folder, symlinks included. */
  resolveExisting(folder: FolderName, name: string): Promise<SafePath> {
    return resolveExistingInside(this.folders[folder], name);
  }

  /**
   * Writes `bytes` under a safe form of `preferredName`, adding `_1`, `_2`, ... before the
   * extension when the name is taken. The file appears complete or not at all: it is written
   * to a temp file and then hard-linked to its final name (link fails when the name exists,
   * which makes the "non-clashing" check and the publish one atomic step).
   *
   * @param keepSuffix the ending the counter goes before when the name has it (an upload
   *   kind's declared suffix, `x.note.txt` → `x_1.note.txt`); otherwise `uniqueNameExtension`.
   */
  async writeUnique(
    folder: FolderName,
    preferredName: string,
    bytes: Uint8Array,
    keepSuffix?: string,
  ): Promise<FileRef> {
    const root = this.folders[folder];
    const wanted = safeFileName(preferredName);
    const target = resolveInsideLexically(root, wanted);
    if (!target.ok) throw new InfixError({ code: "bad_file_name", message: target.message, found: preferredName });
    const dir = dirname(target.path);
    await mkdir(dir, { recursive: true });
    const realRoot = await realpath(root);
    if (!isInside(realRoot, await realpath(dir))) {
      throw new InfixError({
        code: "bad_file_name",
        message: "the folder of this name lies outside the file folder",
        found: preferredName,
      });
    }
    const temp = join(dir, `.${randomBytes(6).toString("hex")}.part`);
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (error) {
      // A full disk (ENOSPC, EFBIG) must not leave a half-written file behind.
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    try {
      const extension =
        keepSuffix && target.path.toLowerCase().endsWith(keepSuffix.toLowerCase())
          ? target.path.slice(target.path.length - keepSuffix.length)
          : uniqueNameExtension(target.path);
      const stem = target.path.slice(0, target.path.length - extension.length);
      for (let attempt = 0; attempt < 100_000; attempt++) {
        const candidate = attempt === 0 ? target.path : `${stem}_${attempt}${extension}`;
        try {
          await link(temp, candidate);
          return { folder, name: relative(root, candidate).split(sep).join("/") };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        }
      }
      throw new InfixError({
        code: "file_name_exhausted",
        message: `too many files named like '${wanted}'; clean up the ${folder} folder`,
      });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** The FileAccess nodes receive in their RunContext, over these folders. */
  access(): FileAccess {
    const resolveOrThrow = (folder: FolderName, name: string): string => {
      const resolved = resolveInsideSync(this.folders[folder], name);
      if (!resolved.ok) {
        throw new InfixError({
          code: "bad_file_name",
          message: `${resolved.message} (in the ${folder} folder)`,
          found: name,
        });
      }
      return resolved.path;
    };
    return {
      resolveInput: (name) => resolveOrThrow("input", name),
      resolveOutput: (name) => resolveOrThrow("output", name),
      writeOutput: (preferredName, bytes, folder = "output") => this.writeUnique(folder, preferredName, bytes),
    };
  }
}

/**
 * Final extensions that wrap a type tag before them (`x.note.json`, `x.tar.gz`): a
 * clashing `x.note.json` becomes `x_1.note.json`, so the name keeps saying its kind.
 */
const WRAPPING_EXTENSIONS = new Set([".json", ".gz", ".bz2", ".xz", ".zst"]);

/**
 * The extension `writeUnique` keeps after its `_1`, `_2` counter: the last one, with the
 * tag before it when the last one only wraps (see WRAPPING_EXTENSIONS).
 *
 * @example uniqueNameExtension("run/dog.note.json") // → ".note.json"
 */
export function uniqueNameExtension(path: string): string {
  const last = extname(path);
  if (!WRAPPING_EXTENSIONS.has(last.toLowerCase())) return last;
  const tag = extname(path.slice(0, path.length - last.length));
  return /^\.[A-Za-z][A-Za-z0-9]{0,15}$/.test(tag) ? tag + last : last;
}

/**
 * A file name made safe to store: each `/`-separated part keeps letters, digits, `.`, `-`,
 * `_` (others become `_`), leading dots are dropped (no hidden files, no `..`), and an empty
 * result becomes `file`.
 *
 * @example safeFileName("../my cat?.png") // → "my_cat_.png"
 */
export function safeFileName(name: string): string {
  const parts = name
    .split(/[\\/]+/)
    .map((part) =>
      part
        .normalize("NFC")
        .replace(/[^A-Za-z0-9._-]/g, "_")
        .replace(/^\.+/, "")
        .slice(0, 120),
    )
    .filter((part) => part !== "");
  return parts.length === 0 ? "file" : parts.join("/");
}
