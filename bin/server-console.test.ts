import { describe, expect, it } from "vitest";
import type { Job } from "@infix/protocol";
import { jobLine, startBanner } from "./server-console.ts";

const folders = { input: "/d/input", output: "/out", temp: "/d/temp" };

describe("startBanner", () => {
  it("lists the folders and each package's resource with its state, and ends on the URL", () => {
    const lines = startBanner({
      url: "http://127.0.0.1:8188",
      dataDir: "/d",
      folders,
      modelsDir: "/models",
      packages: [
        {
          name: "blip-diffusion",
          kinds: [{ kind: "model-pack", title: "model pack" }],
          resources: [
            {
              kind: "model-pack",
              id: "tiny",
              title: "tiny",
              bytes: 1,
              description: "embedded tiny pack: real code paths, meaningless pictures",
              details: {},
            },
            { kind: "model-pack", id: "real", title: "BLIP-Diffusion", bytes: 3 * 1024 ** 3, details: {} },
            { kind: "model-pack", id: "bad", title: "bad", bytes: 0, error: "no manifest.json", details: {} },
          ],
          notices: [],
        },
      ],
    });
    expect(lines).toEqual([
      "data:   /d",
      "input:  /d/input",
      "output: /out",
      "models: /models",
      "packs:  tiny (embedded tiny pack: real code paths, meaningless pictures)",
      "        real (BLIP-Diffusion, 3.0 GiB)",
      "        bad: not usable: no manifest.json",
      "Infix is running at http://127.0.0.1:8188",
    ]);
  });
  it("says how to give a models folder when there is none", () => {
    const lines = startBanner({ url: "u", dataDir: "/d", folders, packages: [] });
    expect(lines[3]).toBe("models: none (give --models <folder> or set INFIX_MODELS for real weights)");
    expect(lines[4]).toBe("packs:  none");
  });
});

describe("jobLine", () => {
  const base = { createdAt: 0, startedAt: 1000, finishedAt: 4400, nodeCount: 3, workflow: {} as Job["workflow"] };
  it("gives id, status, time, counts and the pictures written", () => {
    const job: Job = {
      ...base,
      id: "4f1c",
      status: "succeeded",
      label: "Zero-shot",
      nodes: {
        a: { status: "cached" },
        b: { status: "done" },
        save: { status: "done", ui: { images: [{ folder: "output", name: "dog_001.png", width: 64, height: 64 }] } },
      },
    };
    expect(jobLine(job, folders)).toBe('job 4f1c "Zero-shot" succeeded in 3.4 s (2 ran, 1 cached): /out/dog_001.png');
  });
  it("gives a failure's node and message, and a cancellation's time", () => {
    const failed: Job = {
      ...base,
      id: "9",
      status: "failed",
      error: { code: "node_error", message: "out of paint", nodeId: "3" },
      nodes: { 3: { status: "failed" } },
    };
    expect(jobLine(failed, folders)).toBe("job 9 failed in 3.4 s (0 ran, 0 cached): node 3: out of paint");
    expect(jobLine({ ...base, id: "7", status: "cancelled", nodes: {} }, folders)).toBe(
      "job 7 cancelled after 3.4 s (0 ran, 0 cached)",
    );
  });
});
