import type { NodeSchema, Workflow } from "@infix/engine";

/**
 * The text progress line `infix run` draws on stderr:
 * `[########------------]  40%  2/5 nodes  Sampler step 12/30`.
 * The bar is weighted by work: a node that reports steps (the Sampler's UNet calls) counts
 * one unit per step, every other node one unit, so a 30-step sampler fills most of the bar
 * as it runs instead of jumping one node's worth at its end. Pure, so it can be tested; the
 * caller decides how to draw it (\r on a TTY, lines otherwise).
 */
export class RunProgress {
  private readonly weights = new Map<string, number>();
  private readonly done = new Set<string>();
  private current?: { nodeId: string; label: string; step?: number; total?: number };

  /** `weights`: the expected units of each node that will run (see `expectedWork`). */
  constructor(weights: ReadonlyMap<string, number>) {
    for (const [nodeId, weight] of weights) this.weights.set(nodeId, Math.max(1, weight));
  }

  started(nodeId: string, label: string): void {
    this.current = { nodeId, label };
  }

  /** A node's own progress; its weight becomes the step count it reports. */
  step(nodeId: string, label: string, step: number, total: number): void {
    if (total > 0) this.weights.set(nodeId, total);
    this.current = { nodeId, label, step, total };
  }

  finished(nodeId: string): void {
    if (!this.weights.has(nodeId)) this.weights.set(nodeId, 1);
    this.done.add(nodeId);
    if (this.current?.nodeId === nodeId) this.current = undefined;
  }

  /** The executor's final count of nodes that ran or came from the cache: what the bar ends on. */
  settle(nodeIds: readonly string[]): void {
    for (const nodeId of [...this.weights.keys()]) if (!nodeIds.includes(nodeId)) this.weights.delete(nodeId);
    for (const nodeId of nodeIds) this.finished(nodeId);
  }

  /** Fraction of the expected work done, 0 to 1. */
  fraction(): number {
    let total = 0;
    let done = 0;
    for (const [nodeId, weight] of this.weights) {
      total += weight;
      if (this.done.has(nodeId)) done += weight;
    }
    const current = this.current;
    if (current?.step !== undefined && current.total) done += Math.min(1, current.step / current.total) * current.total;
    return total > 0 ? Math.min(1, done / total) : 1;
  }

  /**
   * The line, with a bar `width` characters wide.
   * @example new RunProgress(new Map([["a", 1]])).line(4) // "[----]   0%  0/1 nodes"
   */
  line(width = 20): string {
    const fraction = this.fraction();
    const filled = Math.round(fraction * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
    const nodesTotal = this.weights.size;
    const counts = `${String(this.done.size).padStart(String(nodesTotal).length)}/${nodesTotal} nodes`;
    const current = this.current;
    if (!current) return `${bar} ${percent}  ${counts}`;
    const steps =
      current.step !== undefined && current.total !== undefined ? ` step ${current.step}/${current.total}` : "";
    return `${bar} ${percent}  ${counts}  ${current.label}${steps}`;
  }
}

/**
 * The units of work each active node is expected to take before any runs: a node with a
 * typed `steps` input (a sampler) its steps, any other one unit. A reported step total
 * replaces the estimate once the node runs.
 */
export function expectedWork(
  workflow: Workflow,
  schemaOf: (type: string) => NodeSchema | undefined,
): Map<string, number> {
  const weights = new Map<string, number>();
  for (const [nodeId, node] of Object.entries(workflow.nodes)) {
    if (node.mode !== "active") continue;
    const steps =
      node.inputs.steps ?? schemaOf(node.type)?.inputs.find((input) => input.name === "steps")?.widget?.default;
    weights.set(nodeId, typeof steps === "number" && Number.isInteger(steps) && steps > 0 ? steps : 1);
  }
  return weights;
}
