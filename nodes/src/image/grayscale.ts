import { byteImageOf, grayToRgb, rgbToGray, type NodeDefinition } from "@infix/engine";
import { taggedInput } from "../inputs.ts";
import type { ImageBatch } from "../sockets.ts";
import { mapImages } from "./map-images.ts";

/** Grayscale: BT.601 luma as OpenCV's cvtColor(RGB2GRAY) on the 8-bit picture, kept as RGB. */
export const grayscaleNode: NodeDefinition = {
  schema: {
    type: "Grayscale",
    version: 1,
    category: "image",
    title: "Grayscale",
    description:
      "Turns pictures gray (0.299 R + 0.587 G + 0.114 B, as OpenCV's cvtColor); the output is still RGB with three equal channels.",
    inputs: [{ name: "image", type: "IMAGE" }],
    outputs: [{ name: "image", type: "IMAGE" }],
    isOutput: false,
  },
  async run(inputs) {
    const image = taggedInput<ImageBatch>(inputs, "image", "IMAGE");
    return { image: mapImages(image, (rgb) => grayToRgb(rgbToGray(byteImageOf(rgb)))) };
  },
};
