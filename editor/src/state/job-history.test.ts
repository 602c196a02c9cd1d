import type { Job } from "@infix/protocol";
import { describe, expect, it } from "vitest";
import { describeSeeds, galleryFromJob, jobLog, loadGalleryHistory, seedsOf } from "./job-history.ts";
import { createStudioStore } from "./studio-store.ts";

const seedInputs = (type: string) => (type === "Sampler" ? ["seed"] : []);

const job: Job = {
  id: "j1",
  status: "succeeded",
  label: "Zero-shot",
  createdAt: 1000,
  startedAt: 1000,
  finishedAt: 3500,
  nodeCount: 3,
  workflow: {
    format: "infix-workflow",
    version: 2,
    nodes: {
      sampler: { type: "Sampler", mode: "active", inputs: { seed: 88888 } },
      off: { type: "Sampler", mode: "muted", inputs: { seed: 1 } },
      save: { type: "SaveImage", title: "Save", mode: "active", inputs: {} },
    },
    requires: [],
  },
  nodes: {
    sampler: { status: "done", ms: 2000 },
    off: { status: "skipped" },
    save: {
      status: "done",
      ms: 30,
      ui: { images: [{ folder: "output", name: "zero-shot_000.png", width: 64, height: 64 }] },
    },
  },
} as Job;

describe("job history", () => {
  it("finds the seeds of active nodes only", () => {
    expect(seedsOf(job.workflow, seedInputs)).toEqual([{ nodeId: "sampler", input: "seed", value: 88888 }]);
    expect(describeSeeds(seedsOf(job.workflow, seedInputs))).toBe("seed 88888");
  });

  it("turns a finished job's pictures into gallery entries carrying its seeds", () => {
    const seeds = seedsOf(job.workflow, seedInputs);
    expect(galleryFromJob(job, seeds)).toEqual([
      {
        ref: { folder: "output", name: "zero-shot_000.png", width: 64, height: 64 },
        jobId: "j1",
        nodeId: "save",
        at: 3500,
        seeds,
      },
    ]);
  });

  it("writes a log line per node that ran and one for the outcome", () => {
    const log = jobLog(job);
    expect(log).toContain("Sampler (#sampler): ran in 2.0 s");
    expect(log).toContain("Save (#save): ran in 30 ms");
    expect(log.at(-1)).toBe("succeeded after 2.5 s");
  });

  it("fills the gallery from the server's finished jobs after a reload, keeping live pictures first", async () => {
    const store = createStudioStore();
    const live = {
      ref: { folder: "output" as const, name: "new.png", width: 8, height: 8 },
      jobId: "j2",
      nodeId: "s",
      at: 9,
    };
    store.setState({ gallery: [live] });
    const api = {
      queue: async () => ({
        ok: true as const,
        value: {
          paused: false,
          jobs: [
            { id: "j1", status: "succeeded" as const, createdAt: 1, nodeCount: 3 },
            { id: "j0", status: "failed" as const, createdAt: 0, nodeCount: 3 },
          ],
        },
      }),
      job: async (id: string) =>
        id === "j1"
          ? { ok: true as const, value: job }
          : { ok: false as const, error: { status: 404, message: "no", problems: [] } },
    };
    await loadGalleryHistory(api, store, seedInputs);
    expect(store.getState().gallery.map((g) => g.ref.name)).toEqual(["new.png", "zero-shot_000.png"]);
    expect(store.getState().gallery[1].seeds?.[0].value).toBe(88888);
    expect(store.getState().queue.jobs).toHaveLength(2);
  });
});
