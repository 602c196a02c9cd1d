import { readdir } from "node:fs/promises";
import { basename } from "node:path";
import { readInside } from "../files/safe-path.ts";
import { AnyVersionWorkflowSchema } from "../graph/parse.ts";
import type { Workflow } from "../graph/workflow.ts";
import type { ExampleInfo } from "../protocol/index.ts";

const MAX_EXAMPLE_BYTES = 10 * 1024 * 1024;

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
      // Example files are read like served files: no link is followed, none escapes the folder.
      const read = await readInside(dir, file, MAX_EXAMPLE_BYTES);
      if (!read.ok) return null;
      const parsed = AnyVersionWorkflowSchema.safeParse(JSON.parse(new TextDecoder().decode(read.bytes)));
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
