import type { NodeDefinition } from "@infix/engine";
import { taggedInput } from "../inputs.ts";
import type { ImageBatch } from "../sockets.ts";
import { mapImages } from "./map-images.ts";

/** Invert Image: 255 − v per 8-bit channel, e.g. black lines on white into the white-on-black a ControlNet expects. */
export const invertImageNode: NodeDefinition = {
  schema: {
    type: "InvertImage",
    version: 1,
    category: "image",
    title: "Invert Image",
    description:
      "Negative of the pictures (255 − value per channel). ControlNets expect white lines on black: invert a drawing made of dark lines on paper.",
    inputs: [{ name: "image", type: "IMAGE" }],
    outputs: [{ name: "image", type: "IMAGE" }],
    isOutput: false,
  },
  async run(inputs) {
    const image = taggedInput<ImageBatch>(inputs, "image", "IMAGE");
    return {
      image: mapImages(image, (rgb) => ({ width: rgb.width, height: rgb.height, data: rgb.data.map((v) => 255 - v) })),
    };
  },
};
