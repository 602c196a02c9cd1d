import { InfixError } from "../graph/problem.ts";
import type { NodeDefinition } from "../nodes/definition.ts";

/** Work that takes a while: progress each step, a preview at the end, and it stops when aborted. */
export const slowCount: NodeDefinition = {
  schema: {
    type: "SlowCount",
    version: 1,
    category: "testing/slow",
    title: "Slow Count",
    description: "Counts to `steps`, waiting `step_ms` each step.",
    inputs: [
      { name: "steps", type: "INT", widget: { kind: "INT", default: 5, min: 0, max: 10_000 } },
      { name: "step_ms", type: "INT", widget: { kind: "INT", default: 10, min: 0, max: 10_000 } },
    ],
    outputs: [{ name: "count", type: "INT" }],
    isOutput: false,
  },
  async run(inputs, ctx) {
    const steps = inputs.steps as number;
    for (let step = 1; step <= steps; step++) {
      ctx.signal.throwIfAborted();
      await abortableSleep(inputs.step_ms as number, ctx.signal);
      ctx.progress(step, steps);
    }
    ctx.preview({ width: 1, height: 1, rgb: new Uint8Array([steps % 256, 0, 0]) });
    return { count: steps };
  },
};

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Always fails, with a structured problem: for failure paths in engine and server tests. */
export const failNode: NodeDefinition = {
  schema: {
    type: "Fail",
    version: 1,
    category: "testing/slow",
    title: "Fail",
    description: "Throws an error with the given message.",
    inputs: [
      { name: "message", type: "STRING", widget: { kind: "STRING", default: "failed on purpose" } },
      { name: "after", type: "*", optional: true, description: "Anything, to order this node after another." },
    ],
    outputs: [{ name: "value", type: "INT" }],
    isOutput: false,
  },
  async run(inputs) {
    throw new InfixError({ code: "test_failure", message: inputs.message as string });
  },
};
