import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type { Workflow, WorkflowNode } from "@infix/engine";
import { OutputCache, Executor, type ExecutionEvents, NodeRegistry } from "@infix/engine/host";
import { testNodePackage, testFiles, testResources } from "@infix/engine/testing";

/**
 * Engine overhead per node on a 1,000-node synthetic graph of trivial nodes (integer adds),
 * so the time measured is validation, planning, hashing, cache traffic and dispatch:
 * a cold run, a fully cached re-run, and an incremental re-run after one widget change.
 * Median of `runs` repetitions.
 */

const NODE_COUNT = 1_000;
const OUTPUTS = 10;
const CONSTANTS = 10;

/** Constants, then a long web of adds (each reads the previous node and one seven back), then outputs. */
function syntheticWorkflow(): Workflow {
  const nodes: Record<string, WorkflowNode> = {};
  for (let i = 0; i < CONSTANTS; i++) nodes[`n${i}`] = { type: "IntConstant", mode: "active", inputs: { value: i } };
  const adds = NODE_COUNT - CONSTANTS - OUTPUTS;
  for (let i = CONSTANTS; i < CONSTANTS + adds; i++) {
    const sum = (id: number) => ({ node: `n${id}`, output: id < CONSTANTS ? "value" : "sum" });
    nodes[`n${i}`] = {
      type: "AddInts",
      mode: "active",
      inputs: { a: sum(i - 1), b: i % 3 === 0 ? sum(i - 7) : i % 11 },
    };
  }
  for (let k = 0; k < OUTPUTS; k++) {
    const source = CONSTANTS + Math.floor(((k + 1) * adds) / OUTPUTS) - 1;
    nodes[`out${k}`] = { type: "ShowValue", mode: "active", inputs: { value: { node: `n${source}`, output: "sum" } } };
  }
  return { format: "infix-workflow", version: 2, nodes, requires: [] };
}

const quietEvents: ExecutionEvents = {
  nodeStarted() {},
  nodeCached() {},
  nodeFinished() {},
  nodeFailed() {},
  progress() {},
  preview() {},
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Prints the engine's per-node overhead figures; see the module comment. */
export async function benchEngine(options: { runs?: number } = {}): Promise<void> {
  const runs = options.runs ?? 11;
  const registry = new NodeRegistry([testNodePackage]);
  const makeExecutor = (cache: OutputCache) =>
    new Executor({
      registry,
      cache,
      resources: testResources(),
      files: testFiles("/nonexistent"),
      log: { info() {}, warn() {} },
    });
  const workflow = syntheticWorkflow();
  const edited = structuredClone(workflow);
  const changedId = `n${CONSTANTS + 500}`;
  edited.nodes[changedId].inputs.b = 1234;

  const cold: number[] = [];
  const cached: number[] = [];
  const incremental: number[] = [];
  const validate: number[] = [];
  let ranCold = 0;
  let ranIncremental = 0;
  for (let rep = 0; rep < runs + 1; rep++) {
    const cache = new OutputCache({ budgetBytes: 256 * 1024 * 1024 });
    const executor = makeExecutor(cache);
    const signal = new AbortController().signal;
    let start = performance.now();
    const first = await executor.execute({ workflow, signal, events: quietEvents });
    const coldMs = performance.now() - start;
    if (first.status !== "succeeded") throw new Error(`bench workflow failed: ${JSON.stringify(first.error)}`);
    start = performance.now();
    const again = await executor.execute({ workflow, signal, events: quietEvents });
    const cachedMs = performance.now() - start;
    start = performance.now();
    const changed = await executor.execute({ workflow: edited, signal, events: quietEvents });
    const incrementalMs = performance.now() - start;
    start = performance.now();
    executor.validate(workflow);
    const validateMs = performance.now() - start;
    if (again.ran.length !== 0) throw new Error("a fully cached re-run ran nodes");
    if (rep === 0) continue; // warm-up
    cold.push(coldMs);
    cached.push(cachedMs);
    incremental.push(incrementalMs);
    validate.push(validateMs);
    ranCold = first.ran.length;
    ranIncremental = changed.ran.length;
  }
  const perNode = (ms: number) => `${((ms * 1000) / NODE_COUNT).toFixed(1)} µs/node`;
  console.log(`engine: ${NODE_COUNT}-node synthetic graph, median of ${runs}`);
  console.log(`  cold run            ${median(cold).toFixed(1)} ms  (${ranCold} nodes ran, ${perNode(median(cold))})`);
  console.log(`  fully cached re-run ${median(cached).toFixed(2)} ms  (0 nodes ran, ${perNode(median(cached))})`);
  console.log(
    `  one widget changed  ${median(incremental).toFixed(1)} ms  (${ranIncremental} nodes ran: #${changedId} and its descendants)`,
  );
  console.log(`  validate + plan     ${median(validate).toFixed(2)} ms  (${perNode(median(validate))})`);
  const ratio = (ms: number) => (ms / median(cold)).toFixed(2);
  console.log(
    `  ratios to cold      cached re-run ${ratio(median(cached))}×, one change ${ratio(median(incremental))}× (${ranIncremental}/${ranCold} nodes ran)`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchEngine();
