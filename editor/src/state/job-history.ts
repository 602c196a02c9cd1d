import type { Workflow } from "@infix/graph";
import type { Job, JobSummary } from "@infix/protocol";
import type { ApiClient } from "../api/client.ts";
import type { GalleryImage, StudioStore } from "./studio-store.ts";

/**
 * What a job was: the seeds it ran with, the pictures it made and a readable log of its
 * nodes, worked out from the server's job record (GET /api/jobs/:id) — so the gallery and
 * the job details survive a reload. Pure, except `loadGalleryHistory`.
 */

/** One SEED-widget value a job ran with. */
export interface SeedUse {
  nodeId: string;
  input: string;
  value: number;
}

/** The literal seeds of a workflow's active nodes, in node order (`seedInputs` from the catalog). */
export function seedsOf(workflow: Workflow, seedInputs: (type: string) => readonly string[]): SeedUse[] {
  const seeds: SeedUse[] = [];
  for (const [nodeId, node] of Object.entries(workflow.nodes)) {
    if (node.mode !== "active") continue;
    for (const input of seedInputs(node.type)) {
      const value = node.inputs[input];
      if (typeof value === "number") seeds.push({ nodeId, input, value });
    }
  }
  return seeds;
}

/** "seed 88888", or "seeds 1, 2" for a graph with several samplers. */
export function describeSeeds(seeds: readonly SeedUse[]): string {
  if (seeds.length === 0) return "";
  return `${seeds.length === 1 ? "seed" : "seeds"} ${seeds.map((s) => s.value).join(", ")}`;
}

/** The pictures a finished job's nodes showed, as gallery entries (newest job first is the caller's order). */
export function galleryFromJob(job: Job, seeds: readonly SeedUse[]): GalleryImage[] {
  const at = job.finishedAt ?? job.createdAt;
  return Object.entries(job.nodes).flatMap(([nodeId, state]) =>
    (state.ui?.images ?? []).map((ref) => ({ ref, jobId: job.id, nodeId, at, seeds: [...seeds] })),
  );
}

/** One line per node the job touched, in workflow order: what happened and how long it took. */
export function jobLog(job: Job): string[] {
  const lines: string[] = [];
  const started = job.startedAt ?? job.createdAt;
  lines.push(`${new Date(job.createdAt).toLocaleTimeString()} queued${job.label ? ` “${job.label}”` : ""}`);
  for (const [nodeId, state] of Object.entries(job.nodes)) {
    const node = job.workflow.nodes[nodeId];
    const who = `${node?.title ?? node?.type ?? "node"} (#${nodeId})`;
    switch (state.status) {
      case "done":
        lines.push(`${who}: ran in ${formatSeconds(state.ms ?? 0)}`);
        break;
      case "cached":
        lines.push(`${who}: from the cache`);
        break;
      case "failed":
        lines.push(`${who}: failed — ${state.error?.message ?? "no reason given"}`);
        break;
      case "running":
        lines.push(`${who}: running${state.progress ? ` ${state.progress.step}/${state.progress.total}` : ""}`);
        break;
      default:
        break;
    }
  }
  const took = job.finishedAt ? ` after ${formatSeconds(job.finishedAt - started)}` : "";
  lines.push(`${job.status}${took}${job.error ? `: ${job.error.message}` : ""}`);
  return lines;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Finished jobs whose pictures the gallery shows after a reload. */
export const HISTORY_JOBS = 24;

/**
 * Fills the gallery from the server's job history (newest first), keeping what arrived live
 * meanwhile. Jobs without pictures cost one request each, bounded by `limit`.
 */
export async function loadGalleryHistory(
  api: Pick<ApiClient, "queue" | "job">,
  store: StudioStore,
  seedInputs: (type: string) => readonly string[],
  limit = HISTORY_JOBS,
): Promise<void> {
  const queue = await api.queue();
  if (!queue.ok) return;
  store.setState({ queue: queue.value });
  const finished = queue.value.jobs.filter((j: JobSummary) => j.status === "succeeded").slice(0, limit);
  const jobs = await Promise.all(finished.map((j) => api.job(j.id)));
  const images = jobs.flatMap((r) => (r.ok ? galleryFromJob(r.value, seedsOf(r.value.workflow, seedInputs)) : []));
  const live = store.getState().gallery;
  const known = new Set(live.map((g) => `${g.ref.folder}/${g.ref.name}`));
  const older = images.filter((g) => !known.has(`${g.ref.folder}/${g.ref.name}`));
  store.setState({ gallery: [...live, ...older].slice(0, 200) });
}
