import type { NodeDefinition } from "@infix/engine";
import { stringInput, taggedInput } from "../inputs.ts";
import type { ImageBatch } from "../sockets.ts";
import { sanitisePrefix, writeImageBatch } from "./save-images.ts";

/** Save Image: PNGs in the output folder, each carrying the workflow that made it. */
export const saveImageNode: NodeDefinition = {
  schema: {
    type: "SaveImage",
    version: 1,
    category: "image/io",
    title: "Save Image",
    description:
      "Saves the images as PNGs in the output folder, with the workflow embedded so a picture reopens its graph.",
    inputs: [
      { name: "images", type: "IMAGE" },
      { name: "filename_prefix", type: "STRING", widget: { kind: "STRING", default: "infix" } },
    ],
    outputs: [],
    isOutput: true,
  },
  async run(inputs, ctx) {
    const images = taggedInput<ImageBatch>(inputs, "images", "IMAGE");
    const prefix = sanitisePrefix(stringInput(inputs, "filename_prefix"));
    await writeImageBatch(images, ctx, { prefix, folder: "output", embedWorkflow: true });
    return {};
  },
};
