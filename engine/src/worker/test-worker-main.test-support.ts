import { parentPort } from "node:worker_threads";
import { OutputCache } from "../cache/index.ts";
import { Executor } from "../execution/executor.ts";
import type { NodeDefinition, Resources } from "../nodes/definition.ts";
import { NodeRegistry } from "../nodes/registry.ts";
import { testFiles } from "../testing/harness.ts";
import { guardNativeCall } from "../runtime/sessions/native-guard.ts";
import { testNodePackage } from "../testing/index.ts";
import { serveExecutor } from "./serve-executor.ts";

/**
 * Blocks its thread for `step_ms` per step, as onnxruntime's session.run does: the worker tests
 * prove the coordinator stays responsive and that a cancel lands between steps.
 */
const busySteps: NodeDefinition = {
  schema: {
    type: "BusySteps",
    version: 1,
    category: "testing/slow",
    title: "Busy Steps",
    description: "Blocks the thread step_ms per step.",
    inputs: [
      { name: "steps", type: "INT", widget: { kind: "INT", default: 5, min: 1, max: 10_000 } },
      { name: "step_ms", type: "INT", widget: { kind: "INT", default: 50, min: 0, max: 10_000 } },
    ],
    outputs: [{ name: "count", type: "INT" }],
    isOutput: true,
  },
  async run(inputs, ctx) {
    const steps = inputs.steps as number;
    for (let step = 1; step <= steps; step++) {
      const until = performance.now() + (inputs.step_ms as number);
      while (performance.now() < until) {
        // busy: like a native call that holds the thread
      }
      ctx.progress(step, steps);
      ctx.preview({ width: 1, height: 1, rgb: new Uint8Array([step % 256, 0, 0]) });
      // Between steps the worker's event loop turns once, as it does between sampler steps.
      await new Promise((resolve) => setImmediate(resolve));
      ctx.signal.throwIfAborted();
    }
    ctx.show({ text: [`${steps} steps`] });
    return { count: steps };
  },
};

/**
 * Holds its thread for `section_ms` inside a guarded native section, as session.run does
 * (progress 0 once inside, then `sectionEnded` set in shared memory as it ends), then busy for
 * `then_ms` in plain JS, where a cancel cannot land: a hard stop must wait for the section's end.
 */
const nativeSection: NodeDefinition = {
  schema: {
    type: "NativeSection",
    version: 1,
    category: "testing/slow",
    title: "Native Section",
    description: "A guarded blocking section, then a busy loop.",
    inputs: [
      { name: "section_ms", type: "INT", widget: { kind: "INT", default: 300, min: 0, max: 60_000 } },
      { name: "then_ms", type: "INT", widget: { kind: "INT", default: 0, min: 0, max: 60_000 } },
    ],
    outputs: [],
    isOutput: true,
  },
  async run(inputs, ctx) {
    await guardNativeCall(async () => {
      ctx.progress(0, 1);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, inputs.section_ms as number);
      if (sectionEnded) Atomics.store(sectionEnded, 0, 1);
    });
    const until = performance.now() + (inputs.then_ms as number);
    while (performance.now() < until) {
      // plain JS holding the thread
    }
    ctx.signal.throwIfAborted();
    return {};
  },
};

const resources: Resources = {
  get: (key) => {
    throw new Error(`no resource ${key.id}`);
  },
  has: () => false,
};
const registry = new NodeRegistry([
  testNodePackage,
  { name: "worker-test", nodes: [busySteps, nativeSection], socketTypes: [] },
]);
const cache = new OutputCache({ budgetBytes: 1 << 24 });
const { root, sectionEnded: sectionEndedBuffer } = (await import("node:worker_threads")).workerData as {
  root: string;
  sectionEnded?: SharedArrayBuffer;
};
const sectionEnded = sectionEndedBuffer && new Int32Array(sectionEndedBuffer);
const executor = new Executor({
  registry,
  cache,
  resources,
  files: testFiles(root),
  log: { info: () => undefined, warn: () => undefined },
});
serveExecutor(parentPort!, executor, cache);

/** The same registry, for the coordinator's validation in tests. */
export { registry };
