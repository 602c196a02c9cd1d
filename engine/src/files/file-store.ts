import { randomBytes } from "node:crypto";
import { link, mkdir, open, unlink } from "node:fs/promises";
import { extname, join, posix } from "node:path";
import { InfixError } from "../graph/problem.ts";
import type { FileAccess, FileRef } from "../nodes/definition.ts";
import {
  ensureFolderInside,
  openInside,
  readInside,
  resolveInsideSync,
  splitSafeName,
  verifyWrittenInside,
  type OpenInside,
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

  /** Next `_N` counter per name stem, so repeated uploads of one name take O(1) attempts, not N. */
  private readonly nextCounter = new Map<string, number>();

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

  /**
   * Opens an existing file for reading without following links (see safe-path.ts); refuses
   * names that escape the folder, symlinks and hard links included. The caller closes it.
   */
  openExisting(folder: FolderName, name: string): Promise<OpenInside> {
    return openInside(this.folders[folder], name);
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
    const split = splitSafeName(wanted);
    if (!split.ok) throw new InfixError({ code: "bad_file_name", message: split.message, found: preferredName });
    const fileName = split.segments[split.segments.length - 1];
    const subfolder = split.segments.slice(0, -1).join("/");
    const dir = await ensureFolderInside(root, subfolder);
    if (!dir.ok) {
      throw new InfixError({
        code: "bad_file_name",
        message: `${dir.message}; the folder of this name lies outside the ${folder} folder`,
        found: preferredName,
      });
    }
    const temp = join(dir.path, `.${randomBytes(6).toString("hex")}.part`);
    const handle = await open(temp, "wx");
    let written;
    try {
      await handle.writeFile(bytes);
      await handle.sync();
      written = await handle.stat();
    } catch (error) {
      // A full disk (ENOSPC, EFBIG) must not leave a half-written file behind.
      await handle.close();
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await handle.close();
    try {
      const extension =
        keepSuffix && fileName.toLowerCase().endsWith(keepSuffix.toLowerCase())
          ? fileName.slice(fileName.length - keepSuffix.length)
          : uniqueNameExtension(fileName);
      const stem = fileName.slice(0, fileName.length - extension.length);
      const counterKey = `${folder}/${subfolder}/${stem}${extension}`;
      let counter = this.nextCounter.get(counterKey) ?? 0;
      for (let attempt = 0; attempt < 64; attempt++) {
        // After a few clashes (names left by an earlier run) a random counter ends the probing.
        if (attempt === 8) counter = randomBytes(4).readUInt32BE() % 1_000_000_000;
        const candidateName = counter === 0 ? fileName : `${stem}_${counter}${extension}`;
        const candidate = join(dir.path, candidateName);
        counter += 1;
        try {
          await link(temp, candidate);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
          continue;
        }
        if (this.nextCounter.size > 10_000) this.nextCounter.clear();
        this.nextCounter.set(counterKey, counter);
        await unlink(temp).catch(() => undefined);
        if (!(await verifyWrittenInside(root, candidate, written))) {
          await unlink(candidate).catch(() => undefined);
          throw new InfixError({
            code: "bad_file_name",
            message: `the folder of '${wanted}' changed into a link while writing; nothing was written`,
            found: preferredName,
          });
        }
        return { folder, name: subfolder === "" ? candidateName : posix.join(subfolder, candidateName) };
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
    const readOrThrow = async (folder: FolderName, name: string): Promise<Uint8Array> => {
      const read = await readInside(this.folders[folder], name);
      if (!read.ok) {
        throw new InfixError({
          code: read.reason === "missing" ? "file_not_found" : "bad_file_name",
          message: `${read.message} (in the ${folder} folder)`,
          found: name,
        });
      }
      return read.bytes;
    };
    return {
      resolveInput: (name) => resolveOrThrow("input", name),
      readInput: (name) => readOrThrow("input", name),
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
