import type { MessagePort } from "node:worker_threads";
import { toProblem } from "../graph/problem.ts";
import type { ExecutionEvents, WorkflowExecutor } from "../execution/types.ts";
import type { CacheStats } from "../protocol/index.ts";
import type { CoordinatorMessage, ExecutionEventMessage, WorkerMessage } from "./worker-messages.ts";

/** What the worker side offers besides running jobs: the node output cache it holds. */
export interface WorkerCache {
  stats(): CacheStats;
  clear(): void;
}

/**
 * The worker's half: runs each job the coordinator sends on `executor`, relays its events and
 * result, and answers cache requests. Aborts arrive as messages, so a cancel lands between two
 * native calls (a sampler step); the coordinator can terminate the thread for a harder stop.
 *
 * @example serveExecutor(parentPort!, setup.executor, setup.cache); // in the worker's entry module
 */
export function serveExecutor(port: MessagePort, executor: WorkflowExecutor, cache: WorkerCache): void {
  const runs = new Map<number, AbortController>();
  const send = (message: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  port.on("message", (message: CoordinatorMessage) => {
    if (message.type === "run") {
      const controller = new AbortController();
      runs.set(message.runId, controller);
      const relay = (event: ExecutionEventMessage) => send({ type: "event", runId: message.runId, event });
      const events: ExecutionEvents = {
        nodeStarted: (...args) => relay(["nodeStarted", ...args]),
        nodeCached: (...args) => relay(["nodeCached", ...args]),
        nodeFinished: (...args) => relay(["nodeFinished", ...args]),
        nodeFailed: (...args) => relay(["nodeFailed", ...args]),
        progress: (...args) => relay(["progress", ...args]),
        // A copy: the node may reuse its preview buffer for the next step.
        preview: (nodeId, image) => relay(["preview", nodeId, { ...image, rgb: image.rgb.slice() }]),
      };
      executor
        .execute({ workflow: message.workflow, targets: message.targets, signal: controller.signal, events })
        .catch((error: unknown) => ({
          status: "failed" as const,
          error: toProblem(error),
          ui: {},
          ran: [],
          cached: [],
          spared: [],
        }))
        .then((result) => {
          runs.delete(message.runId);
          send({ type: "done", runId: message.runId, result });
        });
    } else if (message.type === "abort") {
      runs.get(message.runId)?.abort(new Error(message.reason));
    } else if (message.type === "cache-stats") {
      send({ type: "cache", requestId: message.requestId, stats: cache.stats() });
    } else if (message.type === "cache-clear") {
      cache.clear();
      send({ type: "cache", requestId: message.requestId, stats: cache.stats() });
    }
  });
  send({ type: "ready" });
}
