import type { NodeDefinition } from "../nodes/definition.ts";

/** Integer nodes for engine and server tests: cheap, deterministic, easy to assert on. */

export const intConstant: NodeDefinition = {
  schema: {
    type: "IntConstant",
    version: 1,
    category: "testing/numbers",
    title: "Integer",
    description: "Outputs the integer typed in.",
    inputs: [{ name: "value", type: "INT", widget: { kind: "INT", default: 0, min: -1_000_000, max: 1_000_000 } }],
    outputs: [{ name: "value", type: "INT" }],
    isOutput: false,
  },
  async run(inputs) {
    return { value: inputs.value as number };
  },
};

export const addInts: NodeDefinition = {
  schema: {
    type: "AddInts",
    version: 1,
    category: "testing/numbers",
    title: "Add",
    description: "Adds two integers.",
    inputs: [
      { name: "a", type: "INT", widget: { kind: "INT", default: 0 } },
      { name: "b", type: "INT", widget: { kind: "INT", default: 0 } },
    ],
    outputs: [{ name: "sum", type: "INT" }],
    isOutput: false,
  },
  async run(inputs) {
    return { sum: (inputs.a as number) + (inputs.b as number) };
  },
};
