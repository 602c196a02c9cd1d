import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve, sep } from "node:path";
import type { FileAccess, NodeSchema, Problem, Workflow } from "@infix/engine";

/**
 * File access for `infix run` on the user's own machine. The server keeps every file inside its
 * folders (an upload cannot name /etc/passwd); a path typed on the command line or written in
 * a local workflow is the user's own to read. So reading inputs also takes an absolute path,
 * and a relative name is looked up in the input folder first (the examples' pictures live
 * there) and then in the current folder. Writing stays inside the output folder.
 */
export function localFileAccess(folderAccess: FileAccess, inputDir: string, cwd = process.cwd()): FileAccess {
  return {
    ...folderAccess,
    resolveInput: (name) => localInputPath(name, inputDir, cwd) ?? folderAccess.resolveInput(name),
    // A file found inside the input folder is still read through the folder's link-refusing
    // reader; a path of the user's own (absolute, or beside the current folder) is read as it is.
    readInput: async (name) => {
      const path = localInputPath(name, inputDir, cwd);
      if (path === undefined || path.startsWith(resolve(inputDir) + sep)) return folderAccess.readInput(name);
      return new Uint8Array(await readFile(path));
    },
  };
}

/** The existing file `name` means for a local run, or undefined when there is none. */
export function localInputPath(name: string, inputDir: string, cwd: string): string | undefined {
  if (name.trim() === "") return undefined;
  if (isAbsolute(name)) return existsSync(name) ? name : undefined;
  for (const base of [inputDir, cwd]) {
    const candidate = resolve(base, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Every FILE input of the workflow's active nodes whose file does not exist, as problems that
 * name the node, the input and both places looked in. Checked before a run starts, so a
 * mistyped picture is an invalid input (exit 2) found in a second, not a failed run.
 */
export function missingInputFiles(
  workflow: Workflow,
  schemaOf: (type: string) => NodeSchema | undefined,
  inputDir: string,
  cwd = process.cwd(),
): Problem[] {
  const problems: Problem[] = [];
  for (const [nodeId, node] of Object.entries(workflow.nodes)) {
    if (node.mode !== "active") continue;
    const schema = schemaOf(node.type);
    for (const spec of schema?.inputs ?? []) {
      const value = node.inputs[spec.name];
      if (spec.widget?.kind !== "FILE" || spec.widget.folder !== "input" || typeof value !== "string") continue;
      if (value.trim() === "" || localInputPath(value, inputDir, cwd) !== undefined) continue;
      const where = isAbsolute(value)
        ? `there is no ${spec.widget.directory ? "folder" : "file"} ${value}`
        : `"${value}" is neither in the input folder (${join(inputDir, value)}) nor in the current folder (${resolve(cwd, value)})`;
      problems.push({
        code: "missing_file",
        message: `${where}; give an existing path, e.g. --set ${nodeId}.${spec.name}=${spec.widget.directory ? "./pictures/" : "./picture.png"}`,
        nodeId,
        input: spec.name,
        expected: spec.widget.directory ? "an existing folder" : "an existing file",
        found: value,
      });
    }
  }
  return problems;
}
