/** Workflows for the browser tests (built here, not committed as fixtures), and what the examples hold. */

/** The node ids of the zero-shot example (the welcome workflow), in pipeline order. */
export const ZERO_SHOT_NODE_IDS = [
  "pack",
  "reference",
  "subject",
  "latent",
  "positive",
  "negative",
  "sampler",
  "decode",
  "save",
] as const;

const at = (x: number, y: number) => ({ position: { x, y } });

/** Slow Count (progress) and a constant feed Add Ints, shown by Show. */
export function countingWorkflow(steps = 12, stepMs = 120) {
  return {
    format: "infix-workflow",
    version: 2,
    name: "e2e counting",
    nodes: {
      slow: { type: "SlowCount", mode: "active", inputs: { steps, step_ms: stepMs } },
      const: { type: "IntConstant", mode: "active", inputs: { value: 5 } },
      add: {
        type: "AddInts",
        mode: "active",
        inputs: { a: { node: "slow", output: "count" }, b: { node: "const", output: "value" } },
      },
      show: { type: "ShowValue", mode: "active", inputs: { value: { node: "add", output: "sum" } } },
    },
    requires: [],
    editor: {
      nodes: { slow: at(0, 0), const: at(0, 220), add: at(330, 60), show: at(640, 80) },
      groups: [],
      notes: [],
    },
  };
}

/** A node that fails with a message, feeding an output node. */
export function failingWorkflow(message: string) {
  return {
    format: "infix-workflow",
    version: 2,
    name: "e2e failing",
    nodes: {
      fail: { type: "Fail", mode: "active", inputs: { message } },
      show: { type: "ShowValue", mode: "active", inputs: { value: { node: "fail", output: "value" } } },
    },
    requires: [],
    editor: { nodes: { fail: at(0, 0), show: at(340, 0) }, groups: [], notes: [] },
  };
}
