import type { NodeDefinition } from "@infix/engine";
import { taggedInput } from "../inputs.ts";
import type { ImageBatch } from "../sockets.ts";
import { writeImageBatch } from "./save-images.ts";

/** Preview Image: shows the images on the node; the PNGs go to the temp folder, without the workflow. */
export const previewImageNode: NodeDefinition = {
  schema: {
    type: "PreviewImage",
    version: 1,
    category: "image/io",
    title: "Preview Image",
    description: "Shows the images on the node without saving them (they are written to the temp folder).",
    inputs: [{ name: "images", type: "IMAGE" }],
    outputs: [],
    isOutput: true,
  },
  async run(inputs, ctx) {
    const images = taggedInput<ImageBatch>(inputs, "images", "IMAGE");
    await writeImageBatch(images, ctx, { prefix: "preview", folder: "temp", embedWorkflow: false });
    return {};
  },
};
