import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import {
  emptyWorkflow,
  InfixError,
  toProblem,
  type FileRef,
  type NodeDefinition,
  type NodeInputs,
  type PreviewImage,
  type Problem,
  type ResourceKey,
  type Resources,
  type RunContext,
  type UiResult,
} from "@infix/engine";

/**
 * A RunContext for node tests: real folders under a temp dir, resources from a map, and
 * everything the node reports recorded for assertions. Not a mock of the executor — it
 * only stands in for the services the executor would hand the node.
 */
export interface TestContext extends RunContext {
  readonly root: string;
  readonly shown: UiResult[];
  readonly previews: PreviewImage[];
  readonly progressTicks: [number, number][];
  readonly abort: AbortController;
  /** Writes a file into the input folder; returns its name. */
  addInput(name: string, bytes: Uint8Array | string): string;
}

export function createTestContext(resources: Map<string, unknown> = new Map(), nodeId = "n1"): TestContext {
  const root = mkdtempSync(join(tmpdir(), "infix-nodes-"));
  const folders = { input: join(root, "input"), output: join(root, "output"), temp: join(root, "temp") };
  for (const folder of Object.values(folders)) mkdirSync(folder, { recursive: true });
  const inside = (folder: string, name: string) => {
    const path = resolve(folder, name);
    if (!path.startsWith(folder + sep)) throw new Error(`"${name}" escapes ${folder}`);
    return path;
  };
  let counter = 0;
  const abort = new AbortController();
  const shown: UiResult[] = [];
  const previews: PreviewImage[] = [];
  const progressTicks: [number, number][] = [];
  const resourceAccess: Resources = {
    get<T>(key: ResourceKey<T>): T {
      if (!resources.has(key.id)) throw new Error(`no resource ${key.id}`);
      return resources.get(key.id) as T;
    },
    has: (key) => resources.has(key.id),
  };
  return {
    root,
    shown,
    previews,
    progressTicks,
    abort,
    nodeId,
    signal: abort.signal,
    workflow: emptyWorkflow(),
    resources: resourceAccess,
    log: { info: () => undefined, warn: () => undefined },
    files: {
      resolveInput: (name) => inside(folders.input, name),
      readInput: async (name) => new Uint8Array(readFileSync(inside(folders.input, name))),
      resolveOutput: (name) => inside(folders.output, name),
      async writeOutput(preferredName, bytes, folder = "output"): Promise<FileRef> {
        // Non-clashing like the real file store: a counter before the extension.
        const name = preferredName.replace(/(\.[^./]*)?$/, (ext) => `-${counter++}${ext}`);
        const path = inside(folders[folder], name);
        mkdirSync(resolve(path, ".."), { recursive: true });
        writeFileSync(path, bytes);
        return { folder, name };
      },
    },
    progress: (step, total) => void progressTicks.push([step, total]),
    preview: (image) => void previews.push(image),
    show: (result) => void shown.push(result),
    addInput(name, bytes) {
      const path = inside(folders.input, name);
      mkdirSync(resolve(path, ".."), { recursive: true });
      writeFileSync(path, bytes);
      return name;
    },
  };
}

/** Runs a node with the schema's widget defaults filled in for inputs left out, as the executor does. */
export async function runNode(
  node: NodeDefinition,
  inputs: NodeInputs,
  ctx: RunContext,
): Promise<Record<string, unknown>> {
  const withDefaults: NodeInputs = {};
  for (const spec of node.schema.inputs) {
    withDefaults[spec.name] = spec.name in inputs ? inputs[spec.name] : spec.widget?.default;
  }
  return node.run(withDefaults, ctx);
}

/** Runs a node expecting it to fail; returns the Problem it raised. */
export async function runNodeFailure(node: NodeDefinition, inputs: NodeInputs, ctx: RunContext): Promise<Problem> {
  try {
    await runNode(node, inputs, ctx);
  } catch (error) {
    if (!(error instanceof InfixError)) throw error;
    return toProblem(error, ctx.nodeId);
  }
  throw new Error(`${node.schema.type} was expected to fail`);
}
