import { describe, expect, it } from "vitest";
import { emptyWorkflow } from "@infix/engine";
import { formatProblem } from "./format-problem.ts";

const workflow = {
  ...emptyWorkflow(),
  nodes: {
    "3": { type: "Sampler", mode: "active" as const, inputs: {} },
    "4": { type: "Save", title: "Final", mode: "active" as const, inputs: {} },
  },
};

describe("formatProblem", () => {
  it("names the node by id and type, the input, and what was expected and found", () => {
    const line = formatProblem(
      {
        code: "out_of_range",
        message: "steps must be ≥ 1",
        nodeId: "3",
        input: "steps",
        expected: "INT in [1,1000]",
        found: "0",
      },
      workflow,
    );
    expect(line).toBe("node 3 (Sampler) input 'steps': expected INT in [1,1000], found 0");
  });
  it("prefers the node's title and falls back to the message without expectations", () => {
    expect(formatProblem({ code: "node_error", message: "disk full", nodeId: "4" }, workflow)).toBe(
      "node 4 (Final): disk full",
    );
    expect(formatProblem({ code: "no_outputs", message: "nothing to run" })).toBe("nothing to run");
    expect(formatProblem({ code: "x", message: "m", nodeId: "9" }, workflow)).toBe("node 9: m");
    const missingOutput = {
      code: "link_to_missing_output",
      message: "Node #2 has no output 'value'.",
      nodeId: "3",
      input: "a",
      expected: "sum",
      found: "value",
    };
    expect(formatProblem(missingOutput, workflow)).toBe("node 3 (Sampler) input 'a': Node #2 has no output 'value'.");
  });
});
