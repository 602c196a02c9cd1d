import type { ExecutionEvents, ExecutionResult } from "../execution/types.ts";
import type { Workflow } from "../graph/workflow.ts";
import type { CacheStats } from "../protocol/index.ts";

/**
 * The messages between the coordinator (server process: HTTP, sockets, queue, validation) and
 * the worker that runs jobs (executor, model sessions, node output cache). Plain data only:
 * they cross a worker_threads port by structured clone.
 */

/** One executor callback, as `[name, ...arguments]` (e.g. `["progress", "sampler", 3, 25]`). */
export type ExecutionEventMessage = {
  [K in keyof ExecutionEvents]: [K, ...Parameters<ExecutionEvents[K]>];
}[keyof ExecutionEvents];

export type CoordinatorMessage =
  | { type: "run"; runId: number; workflow: Workflow; targets?: string[] }
  | { type: "abort"; runId: number; reason: string }
  | { type: "cache-stats"; requestId: number }
  | { type: "cache-clear"; requestId: number };

export type WorkerMessage =
  | { type: "ready" }
  | { type: "start-failed"; error: string }
  | { type: "event"; runId: number; event: ExecutionEventMessage }
  | { type: "done"; runId: number; result: ExecutionResult }
  | { type: "cache"; requestId: number; stats: CacheStats };
