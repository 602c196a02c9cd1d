import { floatTensor, type FloatTensor } from "../runtime/tensor.ts";
import type { NodeDefinition } from "../nodes/definition.ts";

/** A node that makes a small image tensor, with a validate hook like real image nodes have. */
export const makeImage: NodeDefinition = {
  schema: {
    type: "MakeImage",
    version: 1,
    category: "testing/image",
    title: "Make Image",
    description: "A flat grey image, [1,3,H,W] in [0,1].",
    inputs: [
      { name: "width", type: "INT", widget: { kind: "INT", default: 8, min: 8, max: 512, step: 8 } },
      { name: "height", type: "INT", widget: { kind: "INT", default: 8, min: 8, max: 512, step: 8 } },
      { name: "value", type: "FLOAT", widget: { kind: "FLOAT", default: 0.5, min: 0, max: 1 } },
    ],
    outputs: [{ name: "image", type: "IMAGE" }],
    isOutput: false,
  },
  validate(values) {
    // A rule across inputs, which no widget range or step can express, as real image nodes have.
    const { width, height } = values;
    if (typeof width === "number" && typeof height === "number" && width > 4 * height)
      return ["width must be at most 4 × the height"];
    return [];
  },
  async run(inputs) {
    const width = inputs.width as number;
    const height = inputs.height as number;
    const image: FloatTensor = floatTensor(
      [1, 3, height, width],
      new Float32Array(3 * height * width).fill(inputs.value as number),
    );
    return { image };
  },
};
