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
    const problems: string[] = [];
    for (const name of ["width", "height"]) {
      if (typeof values[name] === "number" && (values[name] as number) % 8 !== 0)
        problems.push(`${name} must be a multiple of 8`);
    }
    return problems;
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
