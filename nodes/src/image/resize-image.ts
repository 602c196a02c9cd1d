import { FIT_MODES, fitImage, type FitMode, type NodeDefinition } from "@infix/engine";
import { inputError, intInput, stringInput, taggedInput } from "../inputs.ts";
import type { ImageBatch } from "../sockets.ts";
import { mapImages } from "./map-images.ts";

const MODES: readonly string[] = FIT_MODES;

/** Resize Image: pictures to the generation size (Pillow bicubic), stretched, cropped or padded. */
export const resizeImageNode: NodeDefinition = {
  schema: {
    type: "ResizeImage",
    version: 1,
    category: "image",
    title: "Resize Image",
    description:
      "Brings pictures to a size, e.g. the generation size before Canny Edges: 'crop' scales to cover it and cuts the middle, 'pad' fits it inside on black, 'stretch' ignores the aspect ratio (Pillow bicubic, as diffusers).",
    inputs: [
      { name: "image", type: "IMAGE" },
      { name: "width", type: "INT", widget: { kind: "INT", default: 512, min: 8, max: 4096, step: 8 } },
      { name: "height", type: "INT", widget: { kind: "INT", default: 512, min: 8, max: 4096, step: 8 } },
      { name: "mode", type: "STRING", widget: { kind: "ENUM", default: "crop", options: [...MODES] } },
    ],
    outputs: [{ name: "image", type: "IMAGE" }],
    isOutput: false,
  },
  validate(values) {
    return typeof values.mode === "string" && !MODES.includes(values.mode)
      ? [`mode "${values.mode}" must be one of ${MODES.join(", ")}.`]
      : [];
  },
  async run(inputs) {
    const image = taggedInput<ImageBatch>(inputs, "image", "IMAGE");
    const width = intInput(inputs, "width", 1);
    const height = intInput(inputs, "height", 1);
    const mode = stringInput(inputs, "mode");
    if (!MODES.includes(mode))
      throw inputError("mode", `mode "${mode}" must be one of ${MODES.join(", ")}.`, MODES.join(" | "), mode);
    return { image: mapImages(image, (rgb) => fitImage(rgb, width, height, mode as FitMode)) };
  },
};
