import type { Problem } from "../graph/problem.ts";
import type { Workflow } from "../graph/workflow.ts";
import type { PreviewImage, UiResult } from "../nodes/definition.ts";

/**
 * The contract between the executor (runs one workflow, with the per-node cache) and the
 * job queue / server / CLI that drive it.
 */

/** Callbacks the executor makes while running; the queue turns them into socket events. */
export interface ExecutionEvents {
  nodeStarted(nodeId: string): void;
  /** The node's outputs came from the cache; `ui` is what it showed when it last ran. */
  nodeCached(nodeId: string, ui?: UiResult): void;
  nodeFinished(nodeId: string, ms: number, ui?: UiResult): void;
  nodeFailed(nodeId: string, problem: Problem): void;
  progress(nodeId: string, step: number, total: number): void;
  preview(nodeId: string, image: PreviewImage): void;
}

export interface ExecuteRequest {
  workflow: Workflow;
  /** Node ids to run up to ("run to here"); absent = every active output node. */
  targets?: string[];
  signal: AbortSignal;
  events: ExecutionEvents;
  /** The queue's id of the job, when a queue runs it: a farm's workers name the job by it. */
  jobId?: string;
  /**
   * Called once when a worker takes the job. A farm's job waits in Redis for a free worker after
   * its dispatch, so until then the studio can say "waiting for a worker" rather than "running".
   */
  started?: () => void;
}

export interface ExecutionResult {
  status: "succeeded" | "failed" | "cancelled";
  /** Why it failed: a validation problem or the failing node's problem. */
  error?: Problem;
  /** All validation problems, when validation failed (nothing ran). */
  problems?: Problem[];
  /** What each node showed (output nodes), by node id. */
  ui: Record<string, UiResult>;
  /** Node ids that ran, in order, and those served from the cache. */
  ran: string[];
  cached: string[];
  /**
   * Needed nodes that neither ran nor were served because a cached node downstream made
   * them unnecessary, and whose own outputs are still cached (reported as cached to the editor).
   */
  spared: string[];
  /**
   * The cache key of each needed node, by node id (absent when validation failed): with `ran`,
   * `cached` and `spared`, the keys this executor's cache now holds (a farm worker publishes them).
   */
  cacheKeys?: Record<string, string>;
}

export interface WorkflowExecutor {
  /** Every problem with the workflow, all together; [] when it can run. */
  validate(workflow: Workflow, targets?: string[]): Problem[];
  /** Validates, then runs what the targets need; never throws for node failures or cancellation. */
  execute(request: ExecuteRequest): Promise<ExecutionResult>;
  /** The cache keys of the nodes a run would need, by node id, without running (undefined: invalid). */
  cacheKeys?(workflow: Workflow, targets?: string[]): Promise<Map<string, string> | undefined>;
  /** Releases what the executor holds (a worker thread); the server calls it when it stops. */
  close?(): Promise<void>;
}
