import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { ExecutionEvents } from "../execution/types.ts";
import type { FileAccess, FileRef, ResourceKey, Resources } from "../nodes/definition.ts";

/** Test doubles for what the server normally provides the executor: resources, files, an event log. */

/** Resources from a plain list of key/value pairs. */
export function testResources(entries: [ResourceKey<unknown>, unknown][] = []): Resources {
  const values = new Map(entries.map(([key, value]) => [key.id, value]));
  return {
    get<T>(key: ResourceKey<T>): T {
      if (!values.has(key.id)) throw new Error(`no resource ${key.id}`);
      return values.get(key.id) as T;
    },
    has: (key) => values.has(key.id),
  };
}

function inside(folder: string, name: string): string {
  const path = resolve(folder, name);
  const rel = relative(folder, path);
  if (rel.startsWith("..") || isAbsolute(rel) || isAbsolute(name))
    throw new Error(`file name '${name}' leaves its folder`);
  return path;
}

/** File access rooted at `root` (with `input/`, `output/`, `temp/` inside), refusing names that escape. */
export function testFiles(root: string): FileAccess {
  let counter = 0;
  return {
    resolveInput: (name) => inside(join(root, "input"), name),
    readInput: async (name) => new Uint8Array(await readFile(inside(join(root, "input"), name))),
    resolveOutput: (name) => inside(join(root, "output"), name),
    async writeOutput(preferredName, bytes, folder = "output"): Promise<FileRef> {
      const name = `${String(++counter).padStart(5, "0")}_${preferredName}`;
      const path = inside(join(root, folder), name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
      return { folder, name };
    },
  };
}

/** One recorded executor callback, e.g. `["nodeFinished", "3"]`. */
export type RecordedEvent = [name: keyof ExecutionEvents, nodeId: string, ...details: unknown[]];

/** Execution events that append to `log`, for asserting what the executor reported and in what order. */
export function recordEvents(): { events: ExecutionEvents; log: RecordedEvent[] } {
  const log: RecordedEvent[] = [];
  return {
    log,
    events: {
      nodeStarted: (nodeId) => log.push(["nodeStarted", nodeId]),
      nodeCached: (nodeId, ui) => log.push(["nodeCached", nodeId, ui]),
      nodeFinished: (nodeId, ms, ui) => log.push(["nodeFinished", nodeId, ms, ui]),
      nodeFailed: (nodeId, problem) => log.push(["nodeFailed", nodeId, problem]),
      progress: (nodeId, step, total) => log.push(["progress", nodeId, step, total]),
      preview: (nodeId, image) => log.push(["preview", nodeId, image]),
    },
  };
}
