import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { WorkflowSchema, type Workflow } from "../graph/workflow.ts";
import type { ExampleInfo } from "../protocol/index.ts";

/** Lists and reads example workflows; the server serves them at /api/examples. */
export interface ExamplesProvider {
  list(): Promise<ExampleInfo[]>;
  read(name: string): Promise<Workflow | null>;
}

/**
 * Example workflows from a folder of `*.json` files (the repo's `examples/`): the name is the
 * file's stem, title and description come from the workflow's own `name` and `description`.
 * Files that are not valid workflows are left out of the list.
 *
 * @example createServer({ ..., examples: folderExamples(join(repoRoot, "examples")) })
 */
export function folderExamples(dir: string): ExamplesProvider {
  const load = async (file: string): Promise<Workflow | null> => {
    try {
      const parsed = WorkflowSchema.safeParse(JSON.parse(await readFile(join(dir, file), "utf8")));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  };
  return {
    async list() {
      const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".json")).sort();
      const out: ExampleInfo[] = [];
      for (const file of files) {
        const workflow = await load(file);
        const name = basename(file, ".json");
        if (workflow) out.push({ name, title: workflow.name ?? name, description: workflow.description ?? "" });
      }
      return out;
    },
    async read(name) {
      // Example names are file stems; anything else (a path, a dot file) is simply not an example.
      if (!/^[A-Za-z0-9_-][A-Za-z0-9 ._-]*$/.test(name)) return null;
      return load(`${name}.json`);
    },
  };
}
