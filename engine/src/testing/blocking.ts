import type { NodeDefinition } from "../nodes/definition.ts";

/**
 * Holds its thread for `ms` without yielding, as a long onnxruntime `session.run` does: for
 * tests that a blocked job thread does not stall what else runs (BullMQ's lock renewal in
 * `infix worker`, the server's sockets).
 */
export const blockingWait: NodeDefinition = {
  schema: {
    type: "BlockingWait",
    version: 1,
    category: "testing/slow",
    title: "Blocking Wait",
    description: "Blocks its thread for `ms` milliseconds (like a long native call), then outputs `ms`.",
    inputs: [{ name: "ms", type: "INT", widget: { kind: "INT", default: 100, min: 0, max: 60_000 } }],
    outputs: [{ name: "ms", type: "INT" }],
    isOutput: false,
  },
  async run(inputs) {
    const ms = inputs.ms as number;
    // Atomics.wait on a lone buffer sleeps the thread itself: no event loop turn, no timers.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    return { ms };
  },
};
