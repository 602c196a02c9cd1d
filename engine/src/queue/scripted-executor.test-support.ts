import type { Problem } from "../graph/problem.ts";
import type { Workflow } from "../graph/workflow.ts";
import { WORKFLOW_FORMAT, WORKFLOW_VERSION } from "../graph/workflow.ts";
import type { ExecuteRequest, ExecutionResult, WorkflowExecutor } from "../execution/types.ts";

/**
 * A small executor for queue and server tests, driven by node types:
 * `Ok` finishes, `Fail` fails, `Progress` reports `steps` steps (and a 2×2 preview),
 * `Wait` waits until released or aborted, `Bad` is a validation problem.
 * It follows the WorkflowExecutor contract (never throws, honours the signal) so the tests
 * exercise the queue, not the executor.
 */
export class ScriptedExecutor implements WorkflowExecutor {
  readonly started: string[] = [];
  private releases: (() => void)[] = [];

  validate(workflow: Workflow): Problem[] {
    return Object.entries(workflow.nodes)
      .filter(([, node]) => node.type === "Bad")
      .map(([nodeId]) => ({
        code: "bad_node",
        message: `node ${nodeId} is bad`,
        nodeId,
        input: "steps",
        expected: "INT in [1,1000]",
        found: "0",
      }));
  }

  /** Lets every waiting `Wait` node finish. */
  release(): void {
    const releases = this.releases;
    this.releases = [];
    for (const release of releases) release();
  }

  async execute({ workflow, signal, events }: ExecuteRequest): Promise<ExecutionResult> {
    const problems = this.validate(workflow);
    if (problems.length > 0)
      return { status: "failed", error: problems[0], problems, ui: {}, ran: [], cached: [], spared: [] };
    const ran: string[] = [];
    const ui: ExecutionResult["ui"] = {};
    for (const [nodeId, node] of Object.entries(workflow.nodes)) {
      if (signal.aborted) return { status: "cancelled", ui, ran, cached: [], spared: [] };
      this.started.push(nodeId);
      events.nodeStarted(nodeId);
      if (node.type === "Fail") {
        const error = { code: "node_error", message: `node ${nodeId} broke`, nodeId };
        events.nodeFailed(nodeId, error);
        return { status: "failed", error, ui, ran, cached: [], spared: [] };
      }
      if (node.type === "Progress") {
        const steps = Number(node.inputs.steps ?? 10);
        for (let step = 1; step <= steps; step++) {
          events.progress(nodeId, step, steps);
          events.preview(nodeId, { width: 2, height: 2, rgb: new Uint8Array(12).fill(step % 256) });
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      if (node.type === "Wait") {
        await new Promise<void>((resolve) => {
          this.releases.push(resolve);
          signal.addEventListener("abort", () => resolve(), { once: true });
        });
        if (signal.aborted) return { status: "cancelled", ui, ran, cached: [], spared: [] };
      }
      ran.push(nodeId);
      ui[nodeId] = { text: [`${nodeId} done`] };
      events.nodeFinished(nodeId, 1, ui[nodeId]);
    }
    return { status: "succeeded", ui, ran, cached: [], spared: [] };
  }
}

/** A workflow of scripted nodes: `scriptedWorkflow({ a: "Ok", b: "Wait" })`. */
export function scriptedWorkflow(
  types: Record<string, string>,
  inputs: Record<string, Record<string, number>> = {},
): Workflow {
  const nodes: Workflow["nodes"] = {};
  for (const [id, type] of Object.entries(types)) nodes[id] = { type, mode: "active", inputs: inputs[id] ?? {} };
  return { format: WORKFLOW_FORMAT, version: WORKFLOW_VERSION, nodes, requires: [] };
}
