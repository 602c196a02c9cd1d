import type { NodeDefinition } from "../nodes/definition.ts";
import type { Tensor } from "../runtime/tensor.ts";

/** Output nodes: what a test run is for. */

function describeValue(value: unknown): string {
  if (value && typeof value === "object" && "dims" in value && "data" in value) {
    return `tensor [${(value as Tensor).dims.join(",")}]`;
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Shows any value as text on the node. */
export const showValue: NodeDefinition = {
  schema: {
    type: "ShowValue",
    version: 1,
    category: "testing/output",
    title: "Show",
    description: "Shows a value as text.",
    inputs: [{ name: "value", type: "*" }],
    outputs: [],
    isOutput: true,
  },
  async run(inputs, ctx) {
    ctx.show({ text: [describeValue(inputs.value)] });
    return {};
  },
};

/** Writes text to the output folder and shows the file name. */
export const saveText: NodeDefinition = {
  schema: {
    type: "SaveText",
    version: 1,
    category: "testing/output",
    title: "Save Text",
    description: "Writes the text to a .txt file in the output folder.",
    inputs: [
      { name: "text", type: "STRING", widget: { kind: "STRING", default: "", multiline: true } },
      { name: "filename_prefix", type: "STRING", widget: { kind: "STRING", default: "infix", nonEmpty: true } },
    ],
    outputs: [],
    isOutput: true,
  },
  async run(inputs, ctx) {
    const file = await ctx.files.writeOutput(
      `${inputs.filename_prefix as string}.txt`,
      new TextEncoder().encode(inputs.text as string),
    );
    ctx.show({ text: [`${file.folder}/${file.name}`] });
    return {};
  },
};
