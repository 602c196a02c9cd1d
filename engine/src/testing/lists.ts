import type { NodeDefinition } from "../nodes/definition.ts";

/** A list producer (downstream nodes fan out over it) and a list consumer (takes it whole). */

export const rangeList: NodeDefinition = {
  schema: {
    type: "RangeList",
    version: 1,
    category: "testing/lists",
    title: "Range",
    description: "The integers start, start+1, ..., start+count-1, as a list.",
    inputs: [
      { name: "start", type: "INT", widget: { kind: "INT", default: 0 } },
      { name: "count", type: "INT", widget: { kind: "INT", default: 3, min: 0, max: 10_000 } },
    ],
    outputs: [{ name: "values", type: "INT", list: true }],
    isOutput: false,
  },
  async run(inputs) {
    const start = inputs.start as number;
    return { values: Array.from({ length: inputs.count as number }, (_, index) => start + index) };
  },
};

export const sumList: NodeDefinition = {
  schema: {
    type: "SumList",
    version: 1,
    category: "testing/lists",
    title: "Sum List",
    description: "Adds up every integer in a list.",
    inputs: [{ name: "values", type: "INT", acceptsList: true }],
    outputs: [{ name: "sum", type: "INT" }],
    isOutput: false,
  },
  async run(inputs) {
    return { sum: (inputs.values as number[]).reduce((total, value) => total + value, 0) };
  },
};
