import { randomBytes } from "node:crypto";
import { link, lstat, mkdir, open, readdir, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { AnyVersionWorkflowSchema } from "../graph/parse.ts";
import type { Workflow } from "../graph/workflow.ts";
import { ensureFolderInside, readInside, verifyWrittenInside } from "./safe-path.ts";

/**
 * Saved workflows: `<root>/<name>/<version>.json`, each save a new numbered version so an
 * overwrite can be undone from the versions list. Writes are atomic (temp file, fsync, then
 * hard-link to the version's name, which also refuses a clash between two concurrent saves).
 */

export interface SavedWorkflowSummary {
  name: string;
  versions: number;
  updatedAt: number;
}
export interface WorkflowVersionSummary {
  version: number;
  savedAt: number;
  bytes: number;
}

/** Letters, digits, space, `.`, `_`, `-`; starts with a letter, digit or `_`; at most 100 characters. */
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9 ._-]{0,99}$/;

/** Why a workflow name is refused, or null when it is fine. */
export function checkWorkflowName(name: string): string | null {
  if (!NAME_PATTERN.test(name) || name.endsWith(" ") || name.endsWith(".")) {
    return "workflow names use letters, digits, spaces, '.', '_' and '-' (up to 100, not starting with '.' or ending with '.' or a space)";
  }
  return null;
}

export class WorkflowStore {
  /**
   * @param root the folder holding one sub-folder per saved workflow
   * @param maxVersions how many versions of one workflow to keep; older ones are pruned
   */
  constructor(
    readonly root: string,
    private readonly maxVersions = 100,
  ) {}

  /** Every saved workflow, most recently updated first. */
  async list(): Promise<SavedWorkflowSummary[]> {
    await mkdir(this.root, { recursive: true });
    const entries = await readdir(this.root, { withFileTypes: true });
    const out: SavedWorkflowSummary[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || checkWorkflowName(entry.name) !== null) continue;
      const versions = await this.versions(entry.name);
      if (versions.length === 0) continue;
      out.push({ name: entry.name, versions: versions.length, updatedAt: versions[versions.length - 1].savedAt });
    }
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** The versions of one workflow, oldest first; [] when it does not exist. */
  async versions(name: string): Promise<WorkflowVersionSummary[]> {
    const dir = this.dirOf(name);
    let files: string[];
    try {
      // A workflow folder that is a link (to anywhere) is not ours: never list or read through it.
      if (!(await lstat(dir)).isDirectory()) return [];
      files = await readdir(dir);
    } catch {
      return [];
    }
    const numbers = files
      .map(versionOf)
      .filter((v): v is number => v !== null)
      .sort((a, b) => a - b);
    const out: WorkflowVersionSummary[] = [];
    for (const version of numbers) {
      const info = await lstat(join(dir, fileOf(version))).catch(() => null);
      if (info?.isFile() && info.nlink === 1) out.push({ version, savedAt: info.mtimeMs, bytes: info.size });
    }
    return out;
  }

  /** A version of a workflow (the latest when `version` is absent), or null when missing. */
  async read(name: string, version?: number): Promise<Workflow | null> {
    const versions = await this.versions(name);
    const chosen = version ?? versions[versions.length - 1]?.version;
    if (chosen === undefined || !versions.some((v) => v.version === chosen)) return null;
    const read = await readInside(this.root, `${name}/${fileOf(chosen)}`);
    if (!read.ok) return null;
    return AnyVersionWorkflowSchema.parse(JSON.parse(new TextDecoder().decode(read.bytes)));
  }

  /** Saves a new version and returns the workflow's summary. */
  async save(name: string, workflow: Workflow): Promise<SavedWorkflowSummary> {
    this.dirOf(name);
    const folder = await ensureFolderInside(this.root, name);
    if (!folder.ok) throw new WorkflowFolderError(name, folder.message);
    const dir = folder.path;
    const temp = join(dir, `.${randomBytes(6).toString("hex")}.part`);
    const handle = await open(temp, "wx");
    let written;
    try {
      await handle.writeFile(JSON.stringify(workflow, null, 2));
      await handle.sync();
      written = await handle.stat();
    } finally {
      await handle.close();
    }
    try {
      let next = ((await this.versions(name)).at(-1)?.version ?? 0) + 1;
      for (;;) {
        try {
          const target = join(dir, fileOf(next));
          await link(temp, target);
          await unlink(temp).catch(() => undefined);
          if (!(await verifyWrittenInside(this.root, target, written))) {
            await unlink(target).catch(() => undefined);
            throw new WorkflowFolderError(name, "its folder changed into a link while saving");
          }
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
          next += 1;
        }
      }
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    const versions = await this.versions(name);
    for (const old of versions.slice(0, Math.max(0, versions.length - this.maxVersions))) {
      await unlink(join(dir, fileOf(old.version))).catch(() => undefined);
    }
    const kept = versions.slice(-this.maxVersions);
    return { name, versions: kept.length, updatedAt: kept[kept.length - 1].savedAt };
  }

  /** Deletes a workflow and all its versions; false when it did not exist. */
  async remove(name: string): Promise<boolean> {
    if ((await this.versions(name)).length === 0) return false;
    await rm(this.dirOf(name), { recursive: true, force: true });
    return true;
  }

  private dirOf(name: string): string {
    const problem = checkWorkflowName(name);
    if (problem !== null) throw new RangeError(problem);
    return join(this.root, name);
  }
}

/** A save refused because the workflow's folder is a link or not a folder (a 409 for the route). */
export class WorkflowFolderError extends Error {
  constructor(name: string, reason: string) {
    super(`cannot save '${name}': ${reason}; remove or rename that entry in the workflows folder`);
    this.name = "WorkflowFolderError";
  }
}

function fileOf(version: number): string {
  return `${version}.json`;
}

function versionOf(file: string): number | null {
  const match = /^([1-9][0-9]*)\.json$/.exec(file);
  return match ? Number(match[1]) : null;
}
