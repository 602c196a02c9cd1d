import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resourceKey, type NodeDefinition } from "../nodes/definition.ts";

/** Text nodes for engine and server tests, including one that reads a file and one with run-time options. */

export const joinText: NodeDefinition = {
  schema: {
    type: "JoinText",
    version: 1,
    category: "testing/text",
    title: "Join Text",
    description: "Joins two texts with a separator.",
    inputs: [
      { name: "a", type: "STRING", widget: { kind: "STRING", default: "" } },
      { name: "b", type: "STRING", widget: { kind: "STRING", default: "" } },
      { name: "separator", type: "STRING", widget: { kind: "STRING", default: " " } },
    ],
    outputs: [{ name: "text", type: "STRING" }],
    isOutput: false,
  },
  async run(inputs) {
    return { text: `${inputs.a as string}${inputs.separator as string}${inputs.b as string}` };
  },
};

/** Reads a text file from the input folder; its cache key follows the file's content, not its name. */
export const readTextFile: NodeDefinition = {
  schema: {
    type: "ReadTextFile",
    version: 1,
    category: "testing/text",
    title: "Read Text File",
    description: "Reads a UTF-8 text file from the input folder.",
    inputs: [
      { name: "file", type: "STRING", widget: { kind: "FILE", default: "", folder: "input", accept: [".txt"] } },
    ],
    outputs: [{ name: "text", type: "STRING" }],
    isOutput: false,
  },
  async run(inputs, ctx) {
    return { text: await readFile(ctx.files.resolveInput(inputs.file as string), "utf8") };
  },
  async cacheKeyExtra(inputs, ctx) {
    const bytes = await readFile(ctx.files.resolveInput(inputs.file as string));
    return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  },
};

/** Where PickOption finds its options at run time (as the pack picker finds installed packs). */
export const testOptionsKey = resourceKey<string[]>("testing.options");

export const pickOption: NodeDefinition = {
  schema: {
    type: "PickOption",
    version: 1,
    category: "testing/text",
    title: "Pick Option",
    description: "Outputs one of the options the server provides at run time.",
    inputs: [{ name: "choice", type: "STRING", widget: { kind: "ENUM", default: "", options: [] } }],
    outputs: [{ name: "choice", type: "STRING" }],
    isOutput: false,
  },
  dynamicOptions: { choice: (resources) => (resources.has(testOptionsKey) ? resources.get(testOptionsKey) : []) },
  async run(inputs) {
    return { choice: inputs.choice as string };
  },
};
