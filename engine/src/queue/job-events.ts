import type { ExecutionEvents } from "../execution/types.ts";
import type { PreviewImage, UiResult } from "../nodes/definition.ts";
import type { Job, JobSummary, NodeRunState, ServerToClientEvents } from "../protocol/index.ts";
import type { LatestPerKeyThrottle } from "./latest-throttle.ts";

/** The queue's events: the socket events, except that previews are still raw RGB (the server encodes them). */
export type QueueEventMap = Omit<ServerToClientEvents, "preview"> & {
  preview: (e: { jobId: string; nodeId: string; image: PreviewImage }) => void;
};
export type QueueEvent = {
  [E in keyof QueueEventMap]: { name: E; payload: Parameters<QueueEventMap[E]>[0] };
}[keyof QueueEventMap];

/** Where a running job's events go: straight out, or through the per-node throttles. */
export interface JobEventSinks {
  emit(event: QueueEvent): void;
  progress: LatestPerKeyThrottle<{ jobId: string; nodeId: string; step: number; total: number }>;
  preview: LatestPerKeyThrottle<{ jobId: string; nodeId: string; image: PreviewImage }>;
}

/** Turns executor callbacks into the job's per-node state (what `job:state` replays) and queue events. */
export function executionEventsFor(job: Job, sinks: JobEventSinks): ExecutionEvents {
  const node = (nodeId: string): NodeRunState => (job.nodes[nodeId] ??= { status: "pending" });
  const jobId = job.id;
  const key = (nodeId: string) => `${jobId}/${nodeId}`;
  return {
    nodeStarted: (nodeId) => {
      node(nodeId).status = "running";
      sinks.emit({ name: "node:started", payload: { jobId, nodeId } });
    },
    nodeCached: (nodeId, ui) => {
      Object.assign(node(nodeId), { status: "cached", ui: ui && toUiMessage(ui) });
      sinks.emit({ name: "node:cached", payload: { jobId, nodeId, ui: ui && toUiMessage(ui) } });
    },
    nodeFinished: (nodeId, ms, ui) => {
      sinks.progress.flush(key(nodeId));
      Object.assign(node(nodeId), { status: "done", ms, ui: ui && toUiMessage(ui) });
      sinks.emit({ name: "node:finished", payload: { jobId, nodeId, ms, ui: ui && toUiMessage(ui) } });
    },
    nodeFailed: (nodeId, problem) => {
      sinks.progress.flush(key(nodeId));
      Object.assign(node(nodeId), { status: "failed", error: problem });
      sinks.emit({ name: "node:failed", payload: { jobId, nodeId, error: problem } });
    },
    progress: (nodeId, step, total) => {
      node(nodeId).progress = { step, total };
      sinks.progress.push(key(nodeId), { jobId, nodeId, step, total });
    },
    preview: (nodeId, image) => sinks.preview.push(key(nodeId), { jobId, nodeId, image }),
  };
}

/** A job without its workflow and node states, as the queue panel lists it. */
export function summarise(job: Job): JobSummary {
  const { workflow: _workflow, targets: _targets, nodes: _nodes, ...summary } = job;
  return summary;
}

/** UiResult (node API) → the protocol's message form; a copy, so later mutation by a node does not leak. */
export function toUiMessage(ui: UiResult): NodeRunState["ui"] {
  return { images: ui.images?.map((image) => ({ ...image })), text: ui.text ? [...ui.text] : undefined };
}
